import type { StateTables } from './describe-state-tables.ts';
import type { AdvisoryLockKey } from './state-lock-key.ts';
import type { LockHolder } from './state-store.ts';

/** Runs one statement on the state database and gives its rows. */
export type StateQuery = <R extends Record<string, unknown>>(
  sql: string,
  params: unknown[],
) => Promise<R[]>;

/** The session that holds a state's advisory lock right now, and who it said it is. */
export interface LiveHolder {
  /** The server process of that session, as pg_terminate_backend takes it. */
  backendPid: number;
  /** Whether it is the session the query ran on. */
  mine: boolean;
  /** Absent when the session has not recorded who it is. */
  holder?: LockHolder;
  /** The state key the holder recorded itself under, when it did. */
  key?: string;
}

/*
 * pg_locks is the truth about the lock; the locks table only says who took
 * it. A row counts when the session it names holds the lock right now: a row
 * left by a session that ended is stale, whatever it says.
 */

// The lock as pg_locks shows a two-int advisory key: the halves as oids,
// objsubid 2, in this database (advisory locks are per database).
const heldInThisDatabase = `l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
  AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())`;

/**
 * The session holding `lockKey` and the row it recorded, or undefined when
 * nobody holds it. When keys collide, the row under `tables.key` wins.
 */
export async function findLiveHolder(
  query: StateQuery,
  tables: StateTables,
  lockKey: AdvisoryLockKey,
): Promise<LiveHolder | undefined> {
  const rows = await query<{
    backend_pid: number;
    mine: boolean;
    key: string | null;
    host: string | null;
    pid: number | null;
    command: string | null;
    since: Date | string | null;
  }>(
    `SELECT l.pid AS backend_pid, l.pid = pg_backend_pid() AS mine, h.key, h.host, h.pid, h.command, h.since
       FROM pg_catalog.pg_locks AS l
       LEFT JOIN ${tables.locks} AS h ON h.backend_pid = l.pid AND h.lock_id = $2
      WHERE ${heldInThisDatabase} AND l.classid = $1::int4::oid AND l.objid = $2::int4::oid
      ORDER BY h.key = $3 DESC NULLS LAST, h.since DESC NULLS LAST
      LIMIT 1`,
    [lockKey.classId, lockKey.objectId, tables.key],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  const live: LiveHolder = { backendPid: row.backend_pid, mine: row.mine };
  if (
    row.key !== null &&
    row.host !== null &&
    row.pid !== null &&
    row.command !== null &&
    row.since !== null
  ) {
    live.key = row.key;
    live.holder = {
      host: row.host,
      pid: row.pid,
      command: row.command,
      since: new Date(row.since).toISOString(),
    };
  }
  return live;
}

/** Deletes the row of `tables.key` if its session no longer holds the lock, and gives who it named. */
export async function clearStaleHolder(
  query: StateQuery,
  tables: StateTables,
  lockKey: AdvisoryLockKey,
): Promise<LockHolder[]> {
  const rows = await query<{ host: string; pid: number; command: string; since: Date | string }>(
    `DELETE FROM ${tables.locks} AS h
      WHERE h.key = $1 AND NOT EXISTS (
        SELECT FROM pg_catalog.pg_locks AS l
         WHERE ${heldInThisDatabase} AND l.pid = h.backend_pid
           AND l.classid = $2::int4::oid AND l.objid = h.lock_id::oid)
      RETURNING h.host, h.pid, h.command, h.since`,
    [tables.key, lockKey.classId],
  );
  return rows.map((row) => ({ ...row, since: new Date(row.since).toISOString() }));
}
