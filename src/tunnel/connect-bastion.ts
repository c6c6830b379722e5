import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { Bastion } from '../config/model.ts';
import type { Logger } from '../diagnostics/logger.ts';
import {
  createHostVerifier,
  loadHostKeyPolicy,
  preferredHostKeyAlgorithms,
  type HostKeyOutcome,
} from './check-host-key.ts';
import {
  describeConnectFailure,
  describeConnectTimeout,
  describeEarlyClose,
  type ConnectStage,
  type SshError,
} from './describe-connect-failure.ts';
import { describeEndpoint, type Hop } from './hop.ts';
import { prepareAuthentication, type Authentication } from './prepare-authentication.ts';
import { collectSecretTexts, scrubError } from './scrub-secrets.ts';
import { TunnelError } from './tunnel-error.ts';

/** ssh2 ends the connection after this many keepalives go unanswered. */
const keepaliveCountMax = 3;

export interface ConnectBastionOptions {
  logger: Logger;
  /** The home folder whose .ssh/known_hosts is the default. */
  homeDir: string;
  /** The SSH agent's socket, for `auth.kind === 'agent'`. */
  agentSocket: string | undefined;
  /**
   * For a bastion reached `via` another: that bastion's name, and how to open
   * a forwarded channel through it to this one, given the time left of this
   * bastion's connect_timeout, which covers the channel as it covers a TCP
   * connection.
   */
  via?: { name: string; openChannel: (timeoutMs: number) => Promise<Duplex> };
}

/** An authenticated SSH connection to one bastion. */
export interface BastionConnection {
  client: ssh2.Client;
  hop: Hop;
}

/**
 * Opens one authenticated SSH connection to a bastion, over TCP or over a
 * channel through another bastion. The host key is checked before
 * authentication (fail closed: ssh2 would accept any key without a verifier),
 * and one timer of connect_timeout covers TCP (or the channel), handshake and
 * authentication together. Every failure is a TunnelError naming the hop;
 * nothing secret reaches it.
 */
export async function connectBastion(
  bastion: Bastion,
  options: ConnectBastionOptions,
): Promise<BastionConnection> {
  const secrets = collectSecretTexts(
    bastion.auth.kind === 'key' ? [bastion.auth.privateKey, bastion.auth.passphrase] : [],
  );
  let auth: Authentication;
  try {
    auth = prepareAuthentication(bastion, options.agentSocket);
  } catch (error) {
    throw scrubError(error, secrets);
  }
  const policy = await loadHostKeyPolicy(bastion, options.homeDir);
  const hostKey: HostKeyOutcome = {};
  const client = new ssh2.Client();
  const started = performance.now();

  return new Promise((resolve, reject) => {
    let stage: ConnectStage = 'tcp';
    let settled = false;
    let channel: Duplex | undefined;

    // Until the connection is ready, the first failure decides the outcome and
    // tears the connection down; later events only log.
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.destroy();
      // A failure before ssh2 took the channel over would leave it open.
      channel?.destroy();
      reject(scrubError(error, secrets));
    };
    const timer = setTimeout(
      () => fail(describeConnectTimeout(bastion, stage)),
      bastion.connectTimeoutMs,
    );

    client.on('connect', () => {
      stage = 'handshake';
      // Many sessions share this connection, each sending small packets (a
      // TLS record, a login message, a query). With Nagle's algorithm, each
      // would wait for the previous one's acknowledgement: a round trip
      // apiece on a WAN link. ssh2 leaves it on; OpenSSH's client turns it off
      // for interactive sessions, for the same reason.
      client.setNoDelay(true);
    });
    client.on('handshake', () => {
      stage = 'authentication';
    });
    // An ssh2 'error' without a listener would crash the process, so one is
    // attached for the connection's whole life.
    client.on('error', (error: SshError) => {
      if (!settled) {
        fail(hostKey.refusal ?? describeConnectFailure(bastion, error, auth));
        return;
      }
      scrubError(error, secrets);
      options.logger.warn(
        'tunnel',
        `connection to ${describeEndpoint(bastion)} failed: ${error.message}`,
      );
    });
    client.on('close', () => {
      if (!settled) fail(hostKey.refusal ?? describeEarlyClose(bastion, stage));
    });
    client.on('ready', () => {
      settled = true;
      clearTimeout(timer);
      const hop: Hop = {
        bastion: bastion.name,
        endpoint: describeEndpoint(bastion),
        through: options.via?.name,
        connectedMs: Math.round(performance.now() - started),
        hostKey: hostKey.presented?.fingerprint ?? '',
      };
      options.logger.debug(
        'tunnel',
        `connected to ${hop.endpoint} (bastion "${bastion.name}") in ${hop.connectedMs} ms, host key ${hop.hostKey}`,
      );
      resolve({ client, hop });
    });

    const preferred = preferredHostKeyAlgorithms(policy) as ssh2.ServerHostKeyAlgorithm[];
    const start = (sock: Duplex | undefined): void => {
      try {
        connectClient(
          client,
          bastion,
          sock,
          auth,
          createHostVerifier(bastion, policy, options.logger, hostKey),
          preferred,
        );
      } catch (error) {
        // ssh2 validates its settings synchronously; nothing was sent yet.
        fail(describeConnectFailure(bastion, error as SshError, auth));
      }
    };
    if (options.via === undefined) {
      start(undefined);
      return;
    }
    // The outer bastion's connection to this one is the TCP step, under the
    // same timer as the rest.
    options.via.openChannel(bastion.connectTimeoutMs).then(
      (opened) => {
        if (settled) {
          opened.destroy();
          return;
        }
        channel = opened;
        start(opened);
      },
      (error: unknown) => {
        // The channel's own timer runs out with ours; ours names this bastion.
        const timedOut = error instanceof TunnelError && error.reason === 'channel-timeout';
        fail(timedOut ? describeConnectTimeout(bastion, 'tcp') : (error as Error));
      },
    );
  });
}

function connectClient(
  client: ssh2.Client,
  bastion: Bastion,
  sock: Duplex | undefined,
  auth: Authentication,
  hostVerifier: ReturnType<typeof createHostVerifier>,
  preferred: ssh2.ServerHostKeyAlgorithm[],
): void {
  client.connect({
    host: bastion.host,
    port: bastion.port,
    username: bastion.user,
    ...(sock === undefined ? {} : { sock }),
    ...(auth.privateKey === undefined ? {} : { privateKey: auth.privateKey }),
    ...(auth.passphrase === undefined ? {} : { passphrase: auth.passphrase }),
    ...(auth.agent === undefined ? {} : { agent: auth.agent }),
    // ssh2 would first try the "none" method to learn which ones the server
    // accepts: a round trip that tells pgdest nothing, as it has one method.
    authHandler: [auth.agent === undefined ? 'publickey' : 'agent'],
    hostVerifier,
    ...(preferred.length === 0
      ? {}
      : { algorithms: { serverHostKey: { remove: preferred, prepend: preferred, append: [] } } }),
    // Our own timer covers the whole connection; ssh2's would race it.
    readyTimeout: 0,
    keepaliveInterval: bastion.keepaliveIntervalMs,
    keepaliveCountMax,
  });
}
