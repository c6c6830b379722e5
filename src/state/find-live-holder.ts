import type { StateTables } from './describe-state-tables.ts';
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
}

/** The assignments that empty the holder columns of a row in the locks table, keeping its lock id. */
export const clearHolderColumns =
  'backend_pid = NULL, token = NULL, host = NULL, pid = NULL, command = NULL, since = NULL';

/*
 * pg_locks is the truth about the lock; the locks table gives the lock's id
 * (see state-lock-key.ts) and says who took it. The holder columns count when
 * the session they name holds the lock right now: a holder left by a session
 * that ended is stale, whatever it says.
 */

// The state lock as pg_locks shows it, for the row `h` of the locks table
// and the state schema `n`: a two-int advisory key, whose halves appear as
// oids, with objsubid 2, in this database (advisory locks are per database).
const stateLockOfRow = `l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
  AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
  AND l.classid = n.oid AND l.objid = h.lock_id::oid`;

/** The session holding the lock of the state at `tables` and who it recorded, or undefined when nobody holds it. */
export async function findLiveHolder(
  query: StateQuery,
  tables: StateTables,
): Promise<LiveHolder | undefined> {
  const rows = await query<{
    backend_pid: number;
    mine: boolean;
    recorded: boolean;
    host: string | null;
    pid: number | null;
    command: string | null;
    since: Date | string | null;
  }>(
    `SELECT l.pid AS backend_pid, l.pid = pg_backend_pid() AS mine,
            h.backend_pid IS NOT DISTINCT FROM l.pid AS recorded, h.host, h.pid, h.command, h.since
       FROM ${tables.locks} AS h
       JOIN pg_catalog.pg_namespace AS n ON n.nspname = $1
       JOIN pg_catalog.pg_locks AS l ON ${stateLockOfRow}
      WHERE h.key = $2`,
    [tables.schema, tables.key],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  const live: LiveHolder = { backendPid: row.backend_pid, mine: row.mine };
  // The table's check constraint sets the holder columns all together.
  if (row.recorded && row.host !== null && row.pid !== null && row.command !== null) {
    live.holder = {
      host: row.host,
      pid: row.pid,
      command: row.command,
      since: new Date(row.since!).toISOString(),
    };
  }
  return live;
}

/** Clears the holder of `tables.key` if its session no longer holds the lock, and gives who it named. */
export async function clearStaleHolder(
  query: StateQuery,
  tables: StateTables,
): Promise<LockHolder[]> {
  // The row is locked before it is cleared, so that a holder recorded
  // meanwhile is read again, found live, and kept.
  const rows = await query<{ host: string; pid: number; command: string; since: Date | string }>(
    `WITH stale AS (
       SELECT h.key, h.token, h.host, h.pid, h.command, h.since FROM ${tables.locks} AS h
        WHERE h.key = $2 AND h.token IS NOT NULL AND NOT EXISTS (
          SELECT FROM pg_catalog.pg_locks AS l, pg_catalog.pg_namespace AS n
           WHERE n.nspname = $1 AND ${stateLockOfRow} AND l.pid = h.backend_pid)
        FOR UPDATE OF h),
     cleared AS (
       UPDATE ${tables.locks} AS h SET ${clearHolderColumns}
         FROM stale WHERE h.key = stale.key AND h.token = stale.token)
     SELECT host, pid, command, since FROM stale`,
    [tables.schema, tables.key],
  );
  return rows.map((row) => ({ ...row, since: new Date(row.since).toISOString() }));
}
