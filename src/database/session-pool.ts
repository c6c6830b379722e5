import type pg from 'pg';
import type { DatabaseEndpoint } from '../config/model.ts';
import type { Logger } from '../diagnostics/logger.ts';
import type { TunnelPool } from '../tunnel/tunnel-pool.ts';
import {
  connectDatabase,
  endSession,
  type DatabaseLogin,
  type SessionTimeouts,
} from './connect-database.ts';

/** Where a session goes and who logs in: one session per distinct value for the whole run. */
export interface SessionTarget {
  bastion?: string;
  endpoint: DatabaseEndpoint;
  /** The endpoint's own user when absent. */
  login?: DatabaseLogin;
}

/**
 * A database session shared by every destination that needs the same login
 * to the same database. `exclusive` runs a unit of work (a transaction) with
 * no other destination's statements in between.
 */
export class Session {
  readonly client: pg.Client;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(client: pg.Client) {
    this.client = client;
  }

  exclusive<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const run = this.#queue.then(() => work(this.client));
    this.#queue = run.catch(() => {});
    return run;
  }
}

/**
 * Opens each distinct session once per run, over the shared tunnels, and
 * closes them all at the end. A session that failed to open is remembered, so
 * that many destinations behind one dead database report one error.
 */
export class SessionPool {
  readonly tunnels: TunnelPool;
  readonly #logger: Logger;
  readonly #timeouts: Partial<SessionTimeouts> | undefined;
  readonly #sessions = new Map<string, Promise<Session>>();

  constructor(
    tunnels: TunnelPool,
    options: { logger: Logger; timeouts?: Partial<SessionTimeouts> },
  ) {
    this.tunnels = tunnels;
    this.#logger = options.logger;
    this.#timeouts = options.timeouts;
  }

  open(target: SessionTarget): Promise<Session> {
    const key = sessionKey(target);
    let session = this.#sessions.get(key);
    if (!session) {
      session = connectDatabase(target.endpoint, {
        logger: this.#logger,
        bastion: target.bastion,
        tunnels: this.tunnels,
        login: target.login,
        timeouts: this.#timeouts,
      }).then((client) => new Session(client));
      session.catch(() => {});
      this.#sessions.set(key, session);
    }
    return session;
  }

  /** Ends every session, then every tunnel. */
  async close(): Promise<void> {
    const sessions = await Promise.allSettled(this.#sessions.values());
    this.#sessions.clear();
    await Promise.all(
      sessions.map((result) =>
        result.status === 'fulfilled' ? endSession(result.value.client) : undefined,
      ),
    );
    await this.tunnels.close();
  }
}

/** The identity of a session: route, database, login and TLS mode, never the password's value. */
export function sessionKey(target: SessionTarget): string {
  const { endpoint } = target;
  const user = target.login?.user ?? endpoint.user;
  const password = (target.login ? target.login.password : endpoint.password)?.origin ?? '';
  return JSON.stringify([
    target.bastion ?? '',
    endpoint.host,
    endpoint.port,
    endpoint.name,
    user,
    password,
    endpoint.ssl,
    endpoint.sslRootCert ?? '',
  ]);
}
