import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { checkServerIdentity, connect as connectTls } from 'node:tls';
import { createDatabaseError } from './database-connection-error.ts';
import { describeDatabase, type LoginAttempt } from './describe-database-failure.ts';

/** The stream to hand pg, and whether it is encrypted. */
export interface NegotiatedStream {
  stream: Duplex;
  encrypted: boolean;
}

// The SSLRequest message: length 8, then the code 1234 5679.
const sslRequest = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/*
 * pg has no `prefer`, and its own TLS upgrade gives up when the server answers
 * "no TLS". Doing the SSLRequest exchange here gives every ssl mode, over a
 * tunnel or TCP alike, and `prefer` costs no second connection: on "N" the same
 * stream simply goes on in plain text, as libpq does.
 */

/**
 * Asks the server for TLS according to the endpoint's ssl mode: `disable`
 * never asks; `prefer` upgrades when offered and goes on in plain text
 * otherwise; `require` upgrades without checking the certificate;
 * `verify-full` checks the certificate against `sslRootCert` (or the system's
 * authorities) and the host name. Throws a DatabaseConnectionError.
 */
export async function negotiateTls(raw: Duplex, attempt: LoginAttempt): Promise<NegotiatedStream> {
  const { endpoint } = attempt;
  if (endpoint.ssl === 'disable') return { stream: raw, encrypted: false };

  raw.write(sslRequest);
  const answer = await readAnswer(raw);

  if (answer === 'N') {
    if (endpoint.ssl === 'prefer') return { stream: raw, encrypted: false };
    throw createDatabaseError(
      'tls-not-offered',
      `The server of ${describeDatabase(attempt)} does not offer TLS`,
      {
        detail: `ssl: ${endpoint.ssl} requires an encrypted connection, and the server answered that it does not support SSL (its ssl setting is off).`,
        hint: 'Ask the administrator to enable ssl on the server, or, if the network path is trusted (a tunnel ends next to the server), set ssl: prefer or disable.',
      },
    );
  }
  if (answer !== 'S') {
    throw createDatabaseError(
      'connection-lost',
      `The server of ${describeDatabase(attempt)} answered the TLS request with something else`,
      {
        detail: `After the SSLRequest, PostgreSQL answers S or N; this server sent ${JSON.stringify(answer)}. It may not be PostgreSQL, or it is very old.`,
        hint: "Check that host:port is PostgreSQL's, or set ssl: disable for a server that cannot speak TLS.",
      },
    );
  }
  return { stream: await upgradeToTls(raw, attempt), encrypted: true };
}

async function upgradeToTls(raw: Duplex, attempt: LoginAttempt): Promise<Duplex> {
  const { endpoint } = attempt;
  const verify = endpoint.ssl === 'verify-full';
  const ca =
    verify && endpoint.sslRootCert !== undefined
      ? await readRootCert(endpoint.sslRootCert, attempt)
      : undefined;

  return new Promise((resolve, reject) => {
    const socket = connectTls({
      socket: raw,
      host: endpoint.host,
      // SNI must not carry an IP address (RFC 6066); the identity check still
      // uses `host` then, against the certificate's IP addresses.
      ...(isIP(endpoint.host) === 0 ? { servername: endpoint.host } : {}),
      ...(ca === undefined ? {} : { ca }),
      // PostgreSQL's ssl_ecdh_curve (ssl_groups from 18) defaults to P-256
      // alone before 18 and includes it after. OpenSSL's client sends a key
      // share for its first group only, X25519 by default, which such a server
      // answers with a HelloRetryRequest: a round trip per session. P-256
      // first avoids it; the other groups remain for servers set otherwise.
      ecdhCurve: 'P-256:X25519:P-384:P-521',
      rejectUnauthorized: verify,
      checkServerIdentity: verify ? checkServerIdentity : () => undefined,
    });
    const onError = (error: Error): void => {
      socket.destroy();
      reject(
        createDatabaseError(
          'tls-failed',
          `TLS with the server of ${describeDatabase(attempt)} failed`,
          {
            cause: error,
            detail: `The server offered TLS, but the handshake failed: ${error.message}.${verify ? " With ssl: verify-full the certificate must be signed by an authority in ssl_root_cert (or the system's) and name the host as written in the configuration." : ''}`,
            hint: verify
              ? "Give ssl_root_cert the PEM file of the authority that signed the server's certificate, and use the host name the certificate names; ssl: require encrypts without these checks."
              : "Check the server's TLS settings (ssl_cert_file, ssl_min_protocol_version) in its log.",
          },
        ),
      );
    };
    socket.once('error', onError);
    socket.once('secureConnect', () => {
      socket.removeListener('error', onError);
      resolve(socket);
    });
  });
}

async function readRootCert(path: string, attempt: LoginAttempt): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw createDatabaseError(
      'tls-failed',
      `Cannot read ssl_root_cert for ${describeDatabase(attempt)}`,
      {
        cause: error,
        detail: `Reading ${path} failed: ${(error as Error).message}.`,
        hint: 'Give ssl_root_cert the path of a PEM file of certificate authorities, relative to the configuration file.',
      },
    );
  }
}

// The answer is one byte. The stream is paused after it so that nothing the
// server sends next is lost before TLS or pg attach their own readers.
function readAnswer(raw: Duplex): Promise<string> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      raw.removeListener('data', onData);
      raw.removeListener('error', onError);
      raw.removeListener('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      cleanup();
      raw.pause();
      if (chunk.length > 1) raw.unshift(chunk.subarray(1));
      resolve(chunk.subarray(0, 1).toString('latin1'));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error('Connection terminated unexpectedly'));
    };
    raw.on('data', onData);
    raw.once('error', onError);
    raw.once('close', onClose);
  });
}
