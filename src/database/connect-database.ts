import type { Duplex } from 'node:stream';
import pg from 'pg';
import type { DatabaseEndpoint } from '../config/model.ts';
import type { Secret } from '../config/secret.ts';
import type { Logger } from '../diagnostics/logger.ts';
import { collectSecretTexts, scrubError } from '../tunnel/scrub-secrets.ts';
import type { TunnelPool } from '../tunnel/tunnel-pool.ts';
import { adaptToSocket } from './adapt-to-socket.ts';
import { DatabaseConnectionError } from './database-connection-error.ts';
import {
  describeConnectTimeout,
  describeDatabase,
  describeDatabaseFailure,
  type LoginAttempt,
} from './describe-database-failure.ts';
import { negotiateTls } from './negotiate-tls.ts';
import { openTcpStream } from './open-tcp-stream.ts';
import { startConnectTimer } from './start-connect-timer.ts';

/** A login to use instead of the endpoint's own user, such as a destination's admin. */
export interface DatabaseLogin {
  user: string;
  password?: Secret;
}

/** Limits set on the session at startup. */
export interface SessionTimeouts {
  /** From the open stream (channel or TCP) to a ready session: TCP, TLS and login. */
  connectMs: number;
  /** statement_timeout. */
  statementMs: number;
  /** lock_timeout. */
  lockMs: number;
}

export const defaultSessionTimeouts: SessionTimeouts = {
  connectMs: 20_000,
  statementMs: 30_000,
  lockMs: 5_000,
};

export interface ConnectDatabaseOptions {
  logger: Logger;
  /** The bastion to go through; the session then travels on a channel of `tunnels`. */
  bastion?: string;
  tunnels?: TunnelPool;
  /** Log in as this user instead of `endpoint.user`. */
  login?: DatabaseLogin;
  timeouts?: Partial<SessionTimeouts>;
  /** Default `pgdest`. */
  applicationName?: string;
}

/**
 * Opens a PostgreSQL session: over a forwarded channel of the bastion's SSH
 * connection, or over TCP when the destination has no bastion; TLS as the ssl
 * mode says; then the login. The session starts with an empty search_path
 * (every name pgdest writes is schema-qualified), application_name pgdest,
 * and statement and lock timeouts, all sent in the startup packet so they cost
 * no round trip. Throws a TunnelError or a DatabaseConnectionError, without
 * any secret in it.
 */
export async function connectDatabase(
  endpoint: DatabaseEndpoint,
  options: ConnectDatabaseOptions,
): Promise<pg.Client> {
  const login = options.login ?? { user: endpoint.user, password: endpoint.password };
  const timeouts = { ...defaultSessionTimeouts, ...options.timeouts };
  const attempt: LoginAttempt = {
    endpoint,
    user: login.user,
    passwordOrigin: login.password?.origin,
    bastion: options.bastion,
  };
  const secrets = collectSecretTexts([login.password, endpoint.password]);
  const started = performance.now();

  // The channel has its own timeout in the pool and fails with a TunnelError
  // that names the hop; the connect timeout starts once the stream is open.
  const channel = options.bastion === undefined ? undefined : await openChannel(endpoint, options);
  const timer = startConnectTimer(timeouts.connectMs);
  let raw: Duplex | undefined = channel;
  try {
    raw ??= await openTcpStream(endpoint.host, endpoint.port, (socket) => timer.watch(socket));
    timer.watch(raw);
    const negotiated = await negotiateTls(raw, attempt);
    timer.watch(negotiated.stream);
    const client = createClient(
      endpoint,
      login,
      timeouts,
      options,
      negotiated.stream,
      timer.remainingMs(),
    );
    await client.connect();
    timer.stop();

    // pg emits 'error' on an idle session whose connection breaks; without a
    // listener that would crash the process. Queries in flight still reject.
    client.on('error', (error) => {
      options.logger.warn(
        'database',
        `session on ${describeDatabase(attempt)} failed: ${scrubError(error, secrets).message}`,
      );
    });
    sessionStreams.set(client, [raw, negotiated.stream]);
    const elapsed = Math.round(performance.now() - started);
    const encryption = negotiated.encrypted ? 'TLS' : 'no TLS';
    options.logger.debug(
      'database',
      `logged in as ${login.user} to ${describeDatabase(attempt)} (${encryption}) in ${elapsed} ms`,
    );
    return client;
  } catch (error) {
    timer.stop();
    raw?.destroy();
    if (timer.expired || /timeout expired/.test((error as Error).message)) {
      throw scrubError(describeConnectTimeout(attempt, timeouts.connectMs, error), secrets);
    }
    if (error instanceof DatabaseConnectionError) throw scrubError(error, secrets);
    throw scrubError(describeDatabaseFailure(error as Error, attempt), secrets);
  }
}

// The streams of each session: the channel or TCP socket, and TLS over it if any.
const sessionStreams = new WeakMap<pg.Client, Duplex[]>();

/**
 * Logs out of a session opened by connectDatabase. The session is over once
 * the server has closed its end after the Terminate message (a TLS
 * close_notify, or the end of the stream); pg would also wait for the SSH
 * channel's close to be acknowledged, a round trip more that changes nothing
 * on the server.
 */
export async function endSession(client: pg.Client): Promise<void> {
  const ended = client.end().catch(() => {});
  const streams = sessionStreams.get(client) ?? [];
  if (streams.length === 0 || streams.some((s) => s.readableEnded || s.destroyed)) return ended;
  const serverClosed = new Promise<void>((resolve) => {
    for (const stream of streams) {
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', () => resolve());
    }
  });
  await Promise.race([ended, serverClosed]);
}

function openChannel(endpoint: DatabaseEndpoint, options: ConnectDatabaseOptions): Promise<Duplex> {
  if (options.tunnels === undefined) {
    throw new Error(`connectDatabase needs a TunnelPool to reach bastion "${options.bastion}"`);
  }
  const label = `the database at ${endpoint.host}:${endpoint.port}`;
  return options.tunnels.openChannel(options.bastion!, endpoint.host, endpoint.port, label);
}

function createClient(
  endpoint: DatabaseEndpoint,
  login: DatabaseLogin,
  timeouts: SessionTimeouts,
  options: ConnectDatabaseOptions,
  stream: Duplex,
  remainingMs: number,
): pg.Client {
  const password = login.password;
  return new pg.Client({
    host: endpoint.host,
    port: endpoint.port,
    database: endpoint.name,
    user: login.user,
    // A function, so that the value is read only when the server asks and pg
    // never falls back to PGPASSWORD or ~/.pgpass behind the configuration.
    password: () => (password?.isAvailable ? password.reveal() : ''),
    stream: () => adaptToSocket(stream),
    // TLS, when any, was negotiated on the stream already.
    ssl: false,
    application_name: options.applicationName ?? 'pgdest',
    statement_timeout: timeouts.statementMs,
    lock_timeout: timeouts.lockMs,
    // An empty value after `=` sets search_path to no schema at all.
    options: '-c search_path=',
    connectionTimeoutMillis: Math.max(1, remainingMs),
  });
}
