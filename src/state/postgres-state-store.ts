import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { readPostgresFields } from '../database/database-connection-error.ts';
import { silentLogger, type Logger } from '../diagnostics/logger.ts';
import { checkSuccessor } from './check-successor.ts';
import {
  defaultStateSchema,
  describeStateTables,
  type StateDatabase,
  type StateTables,
} from './describe-state-tables.ts';
import {
  clearHolderColumns,
  clearStaleHolder,
  findLiveHolder,
  type LiveHolder,
} from './find-live-holder.ts';
import { parseState } from './parse-state.ts';
import {
  describeStateQueryFailure,
  lockLostError,
  lockRowChangedError,
  sessionStillHoldsError,
  terminateRefusedError,
  unknownHolderError,
} from './postgres-state-errors.ts';
import { prepareStateTables } from './prepare-state-tables.ts';
import { serializeState } from './serialize-state.ts';
import { describeLockHolder, stateChangedError, stateLockedError } from './state-errors.ts';
import { tryFirstStateLock, type AdvisoryLockKey, type LockAttempt } from './state-lock-key.ts';
import type { State } from './state.ts';
import type { ForcedUnlock, LockHolder, StateLock, StateStore } from './state-store.ts';

export interface PostgresStateStoreOptions {
  /**
   * Opens a new session on the state database, logged in, with an empty
   * search_path: `connectDatabase`, through the tunnel pool when the state
   * sits behind a bastion. Its errors reach the caller as they are.
   */
  connect: () => Promise<pg.Client>;
  /** The state database as configured, for messages and the GRANTs hints suggest. */
  database: StateDatabase;
  /** Default `pgdest`. */
  schema?: string;
  /** The name this configuration's state is kept under; default `default`. */
  key?: string;
  logger?: Logger;
  /** How long `forceUnlock` waits for a session it ended to let the lock go; 5 s unless given. */
  terminateWaitMs?: number;
}

/** How long ending a session may take before its connection is cut. */
const closeGraceMs = 2_000;

/** One session on the state database, and whether it has ended. */
interface Session {
  client: pg.Client;
  ended: boolean;
}

/** The lock as this store holds it. */
interface HeldLock {
  /** Marks this holding in the key's row, so that release never clears another run's holder. */
  token: string;
  session: Session;
  lockKey: AdvisoryLockKey;
}

/**
 * The state in a table of a PostgreSQL database the team already runs, one
 * row per state key (see prepare-state-tables.ts for the layout).
 *
 * The lock is a session-level advisory lock (see state-lock-key.ts), so it
 * lives exactly as long as the session that took it: a run killed with
 * SIGKILL leaves nothing behind, because the server ends its session and the
 * lock with it. Each key's row in the locks table holds the id of its lock,
 * allocated by the first run that locks the key, and names the holder for
 * the message a second run shows; a holder whose session no longer holds the
 * lock is stale and is ignored.
 *
 * The store keeps one session, opened on first use. While it holds the lock,
 * reads and writes go over the session that holds it: when that session ends
 * (`pgdest state unlock` elsewhere, or a broken connection), this run cannot
 * read or write state any more, and says the lock was lost. A write is one
 * INSERT ... ON CONFLICT DO UPDATE whose WHERE compares lineage and serial, so
 * no update is lost even between runs that skip the lock.
 *
 * The sessions must reach PostgreSQL itself, not a pooler in transaction
 * mode, which would hand the session-level lock to other clients.
 */
export class PostgresStateStore implements StateStore {
  readonly location: string;
  readonly #tables: StateTables;
  /** Known once the first attempt at the lock has read or allocated it. */
  #lockKey: AdvisoryLockKey | undefined;
  readonly #connect: () => Promise<pg.Client>;
  readonly #logger: Logger;
  readonly #terminateWaitMs: number;
  #current: Promise<Session> | undefined;
  #prepared = false;
  #held: HeldLock | undefined;
  #closed = false;

  constructor(options: PostgresStateStoreOptions) {
    const schema = options.schema ?? defaultStateSchema;
    const key = options.key ?? 'default';
    this.#tables = describeStateTables(options.database, schema, key);
    this.location = this.#tables.location;
    this.#connect = options.connect;
    this.#logger = options.logger ?? silentLogger;
    this.#terminateWaitMs = options.terminateWaitMs ?? 5_000;
  }

  async read(): Promise<State | undefined> {
    const { states, key } = this.#tables;
    const rows = await this.#query<{ document: string }>(
      `SELECT document::text AS document FROM ${states} WHERE key = $1`,
      [key],
    );
    if (rows.length === 0) return undefined;
    return parseState(
      rows[0]!.document,
      this.location,
      `the previous_document column of ${states} where key is '${key}'`,
    );
  }

  async write(state: State): Promise<void> {
    // Only the serial's own rule is checked here; how it compares with what
    // is stored is decided by the statement itself, atomically.
    checkSuccessor(this.location, undefined, state);
    const { states, key } = this.#tables;

    for (let attempt = 0; attempt < 3; attempt += 1) {
      const written = await this.#query(
        `INSERT INTO ${states} AS stored (key, document, updated_at)
         VALUES ($1, $2::jsonb, statement_timestamp())
         ON CONFLICT (key) DO UPDATE
           SET document = excluded.document, previous_document = stored.document, updated_at = excluded.updated_at
           WHERE stored.lineage = $3 AND stored.serial = $4
         RETURNING serial`,
        [key, serializeState(state), state.lineage, state.serial - 1],
      );
      if (written.length > 0) {
        this.#logger.debug('state', `wrote serial ${state.serial} to ${this.location}`);
        return;
      }

      const stored = await this.read();
      if (stored !== undefined) throw stateChangedError(this.location, stored, state);
      // The row was deleted between the two statements; over empty storage
      // any serial is accepted, so the next attempt inserts.
    }
    throw new Error(`the state row for ${this.location} kept disappearing during a write`);
  }

  async lock(holder: LockHolder, timeoutMs: number): Promise<StateLock> {
    if (this.#held !== undefined)
      throw new Error(`this run already holds the lock on ${this.location}`);
    // Every step on one session: the lock belongs to the session that took it,
    // and the holder row must name that session.
    const session = await this.#open();
    const startedAt = Date.now();
    let announced = false;

    for (let vanished = 0; ;) {
      const { lockKey, taken } = await this.#tryLock(session);
      if (taken) return this.#recordHolder(session, lockKey, holder);

      // Released between the two queries: try again at once, a few times.
      const live = await this.#findLiveHolder();
      if (live === undefined && (vanished += 1) <= 3) continue;

      const remainingMs = timeoutMs - (Date.now() - startedAt);
      if (remainingMs <= 0) {
        const waitedMs = timeoutMs === 0 ? 0 : Date.now() - startedAt;
        const unknown = live
          ? `database session ${live.backendPid} holds it without having recorded who it is, so it is a run taking the lock at this very moment, or a program other than pgdest using the same lock number`
          : 'other runs took it and gave it up again several times while this run looked';
        throw stateLockedError(this.location, live?.holder, waitedMs, unknown);
      }
      if (!announced) {
        const by = live?.holder
          ? describeLockHolder(live.holder)
          : 'a run that has not said who it is';
        this.#logger.debug(
          'state',
          `waiting up to ${timeoutMs} ms for the lock on ${this.location}, held by ${by}`,
        );
      }
      announced = true;
      if (await this.#waitForLock(session, lockKey, remainingMs))
        return this.#recordHolder(session, lockKey, holder);
    }
  }

  async forceUnlock(): Promise<ForcedUnlock> {
    const live = await this.#findLiveHolder();
    if (live === undefined) {
      await this.#clearStaleHolder();
      return { kind: 'not-locked' };
    }
    if (live.holder === undefined) throw unknownHolderError(this.#tables, live.backendPid);

    // The server cannot tell a live run from a session whose client vanished
    // (a laptop gone to sleep, a CI machine gone with its network): it keeps
    // such a session, and its lock, until TCP gives up, hours later. Ending
    // the session is the only way to free the lock, and it is safe for the
    // state: the run that held it reads and writes state over that very
    // session, so it can write nothing more and reports the lock as lost.
    if (live.mine) {
      // This store's own lock, held on its one session.
      this.#held = undefined;
      const own = await this.#current?.catch(() => undefined);
      if (own !== undefined) await this.#endSession(own);
    } else {
      await this.#terminateHolder(live.backendPid, live.holder);
      this.#logger.warn(
        'state',
        `ended database session ${live.backendPid} of ${describeLockHolder(live.holder)}, which held the lock on ${this.location}`,
      );
    }
    await this.#query(
      `UPDATE ${this.#tables.locks} SET ${clearHolderColumns} WHERE key = $1 AND backend_pid = $2`,
      [this.#tables.key, live.backendPid],
    );
    return { kind: 'unlocked', holder: live.holder };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const held = this.#held;
    this.#held = undefined;
    // Ending the session gives the lock up anyway; releasing first only
    // tidies the holder row, so a network that hangs may not hold the run up.
    if (held !== undefined)
      await Promise.race([this.#release(held), sleep(closeGraceMs, undefined, { ref: false })]);
    const session = await this.#current?.catch(() => undefined);
    this.#current = undefined;
    if (session !== undefined) await this.#endSession(session);
  }

  async #tryLock(session: Session): Promise<LockAttempt> {
    const lockKey = this.#lockKey;
    if (lockKey === undefined) {
      const first = await tryFirstStateLock(
        (sql, params) => this.#run(session, sql, params),
        this.#tables,
      );
      this.#lockKey = first.lockKey;
      return first;
    }
    const rows = await this.#run<{ taken: boolean }>(
      session,
      'SELECT pg_try_advisory_lock($1, $2) AS taken',
      [lockKey.classId, lockKey.objectId],
    );
    return { lockKey, taken: rows[0]!.taken };
  }

  // Waiting in the server rather than polling: the lock goes to the first
  // waiter the moment it is released, waiters are served in turn, and no
  // query crosses the tunnel meanwhile. The limits are local to the
  // transaction, so the session's own timeouts apply again afterwards.
  async #waitForLock(
    session: Session,
    { classId, objectId }: AdvisoryLockKey,
    remainingMs: number,
  ): Promise<boolean> {
    const limitMs = Math.min(Math.max(1, Math.ceil(remainingMs)), 2_147_483_647);
    try {
      await session.client.query(
        `BEGIN; SET LOCAL lock_timeout = ${limitMs}; SET LOCAL statement_timeout = 0`,
      );
      await session.client.query('SELECT pg_advisory_lock($1, $2)', [classId, objectId]);
      await session.client.query('COMMIT');
      return true;
    } catch (error) {
      await session.client.query('ROLLBACK').catch(() => undefined);
      // 55P03: lock_timeout ran out.
      if (readPostgresFields(error)?.code === '55P03') return false;
      throw this.#describeFailure(error, session);
    }
  }

  async #recordHolder(
    session: Session,
    lockKey: AdvisoryLockKey,
    holder: LockHolder,
  ): Promise<StateLock> {
    const token = randomUUID();
    const { locks, key } = this.#tables;
    try {
      // The row must still give the id this session locked: were it deleted
      // by hand meanwhile, the next run would allocate another id, and take
      // the lock of this key alongside this run.
      const recorded = await this.#run(
        session,
        `UPDATE ${locks}
            SET backend_pid = pg_backend_pid(), token = $3, host = $4, pid = $5, command = $6, since = $7::timestamptz
          WHERE key = $1 AND lock_id = $2
         RETURNING key`,
        [key, lockKey.objectId, token, holder.host, holder.pid, holder.command, holder.since],
      );
      if (recorded.length === 0) {
        this.#lockKey = undefined;
        throw lockRowChangedError(this.#tables, lockKey.objectId);
      }
    } catch (error) {
      // The advisory lock outlives a failed statement; ending the session
      // is the sure way to give it up.
      await this.#endSession(session);
      throw error;
    }

    const held: HeldLock = { token, session, lockKey };
    this.#held = held;
    this.#logger.debug('state', `locked ${this.location}`);
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        if (this.#held === held) this.#held = undefined;
        await this.#release(held);
      },
    };
  }

  async #release(held: HeldLock): Promise<void> {
    // A session that ended took the lock with it.
    if (held.session.ended) return;
    const { classId, objectId } = held.lockKey;
    try {
      await held.session.client.query(
        `WITH cleared AS (
           UPDATE ${this.#tables.locks} SET ${clearHolderColumns} WHERE key = $1 AND token = $2)
         SELECT pg_advisory_unlock($3, $4)`,
        [this.#tables.key, held.token, classId, objectId],
      );
    } catch (error) {
      this.#logger.debug(
        'state',
        `could not release the lock on ${this.location} (${(error as Error).message}); ending its session instead`,
      );
      await this.#endSession(held.session);
    }
  }

  /** The session holding the lock now, with the holder it recorded, or undefined when the lock is free. */
  #findLiveHolder(): Promise<LiveHolder | undefined> {
    return findLiveHolder((sql, params) => this.#query(sql, params), this.#tables);
  }

  async #terminateHolder(backendPid: number, holder: LockHolder): Promise<void> {
    const session = await this.#open();
    try {
      await session.client.query('SELECT pg_terminate_backend($1)', [backendPid]);
    } catch (error) {
      if (readPostgresFields(error)?.code === '42501')
        throw terminateRefusedError(this.#tables, backendPid, holder, error);
      throw this.#describeFailure(error, session);
    }

    // The session ends a moment after the signal; the lock goes with it.
    const startedAt = Date.now();
    while (Date.now() - startedAt < this.#terminateWaitMs) {
      if ((await this.#findLiveHolder())?.backendPid !== backendPid) return;
      await sleep(50);
    }
    throw sessionStillHoldsError(this.#tables, backendPid, Date.now() - startedAt);
  }

  async #clearStaleHolder(): Promise<void> {
    const cleared = await clearStaleHolder((sql, params) => this.#query(sql, params), this.#tables);
    for (const holder of cleared) {
      this.#logger.debug(
        'state',
        `cleared the record of ${describeLockHolder(holder)}, whose session had already ended and released the lock on ${this.location}`,
      );
    }
  }

  async #query<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<R[]> {
    return this.#run<R>(await this.#open(), sql, params);
  }

  async #run<R extends pg.QueryResultRow>(
    session: Session,
    sql: string,
    params: unknown[],
  ): Promise<R[]> {
    try {
      return (await session.client.query<R>(sql, params)).rows;
    } catch (error) {
      throw this.#describeFailure(error, session);
    }
  }

  #describeFailure(error: unknown, session: Session): Error {
    return describeStateQueryFailure(error, this.#tables, {
      ended: session.ended,
      heldLock: this.#held?.session === session,
    });
  }

  /** The session to query on: the lock's while it is held, else the store's, opened or reopened as needed. */
  async #open(): Promise<Session> {
    if (this.#closed) throw new Error(`the state store for ${this.location} was used after close`);
    if (this.#held !== undefined) {
      if (this.#held.session.ended) throw lockLostError(this.#tables);
      return this.#held.session;
    }

    for (let attempt = 0; attempt < 2; attempt += 1) {
      const pending = (this.#current ??= this.#openSession());
      let session: Session;
      try {
        session = await pending;
      } catch (error) {
        if (this.#current === pending) this.#current = undefined;
        throw error;
      }
      if (!session.ended) return session;
      // Ended while idle (a restart, idle_session_timeout); no lock went
      // with it, so a new session is as good.
      if (this.#current === pending) this.#current = undefined;
    }
    throw new Error(`every new session with ${this.location} ended at once`);
  }

  async #openSession(): Promise<Session> {
    const client = await this.#connect();
    const session: Session = { client, ended: false };
    client.on('end', () => {
      session.ended = true;
    });
    // pg emits 'error' for a session that breaks while idle; unheard, it
    // would end the process. What it means is reported at the next query.
    client.on('error', (error) => {
      this.#logger.debug('state', `session with ${this.location} ended: ${error.message}`);
    });

    if (!this.#prepared) {
      try {
        await prepareStateTables(client, this.#tables, this.#logger);
      } catch (error) {
        await this.#endSession(session);
        throw error;
      }
      this.#prepared = true;
    }
    return session;
  }

  // A session whose network is gone may never acknowledge the end, and its
  // socket would keep the process alive: after a grace period it is cut.
  async #endSession(session: Session): Promise<void> {
    session.ended = true;
    const ended = session.client.end().then(
      () => true,
      () => true,
    );
    if (!(await Promise.race([ended, sleep(closeGraceMs, false, { ref: false })]))) {
      session.client.connection.stream.destroy();
    }
  }
}
