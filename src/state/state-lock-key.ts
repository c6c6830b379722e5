import { createHash } from 'node:crypto';
import type { StateTables } from './describe-state-tables.ts';
import type { StateQuery } from './find-live-holder.ts';

/*
 * pgdest's advisory locks use PostgreSQL's two-int form, (class, id), which
 * the server keeps apart from the bigint form (pg_locks shows it with
 * objsubid 2), and which it keeps per database.
 *
 * The lock of a state is (the OID of the state schema, the lock_id of the
 * key's row in the schema's locks table). The schema's OID is unique among
 * the schemas of the database, and lock_id is an identity column, unique in
 * the table, allocated when the key is first locked and kept with the row
 * from then on: no two states of one database ever share a lock, whatever
 * their schema and key. An application would meet a state lock only by
 * using a schema's OID as its class; one that locks (a table's OID, a row)
 * cannot, since the server draws schema and table OIDs from one counter,
 * until that counter wraps around after four billion objects.
 *
 * Creating the schema and tables, before there is an OID to use, takes a
 * lock whose class spells "pgd" in ASCII with a counter, and whose id is a
 * hash of the schema's name: two schemas whose hashes meet only make their
 * first runs create their tables one after the other.
 */

/** The class of the lock held for a moment while the state schema and tables are created. */
export const setupLockClass = 0x70_67_64_02;

/** The two halves of an advisory lock key, as `pg_try_advisory_lock(int4, int4)` takes them. */
export interface AdvisoryLockKey {
  /** A signed 32-bit integer. */
  classId: number;
  /** A signed 32-bit integer. */
  objectId: number;
}

/** The outcome of one attempt at a state's lock. */
export interface LockAttempt {
  lockKey: AdvisoryLockKey;
  taken: boolean;
}

/**
 * Finds the lock of the state at `tables`, allocating its id when the key
 * has none yet, and tries to take it, all in one statement; `query` must run
 * on the session that is to hold the lock. Later attempts can use the key it
 * gives with `pg_try_advisory_lock` alone.
 */
export async function tryFirstStateLock(
  query: StateQuery,
  tables: StateTables,
): Promise<LockAttempt> {
  // Two first runs on a new key both insert; the one whose row lost the
  // conflict sees nothing in this statement's snapshot, and the next
  // statement finds the row that won.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const rows = await query<{ class_id: number; lock_id: number; taken: boolean }>(
      `WITH existing AS (SELECT lock_id FROM ${tables.locks} WHERE key = $2),
            added AS (
              INSERT INTO ${tables.locks} (key) SELECT $2 WHERE NOT EXISTS (SELECT FROM existing)
              ON CONFLICT (key) DO NOTHING
              RETURNING lock_id),
            found AS (
              SELECT n.oid::int4 AS class_id, h.lock_id
                FROM (SELECT lock_id FROM existing UNION ALL SELECT lock_id FROM added) AS h
                CROSS JOIN pg_catalog.pg_namespace AS n
               WHERE n.nspname = $1)
       SELECT class_id, lock_id, pg_try_advisory_lock(class_id, lock_id) AS taken FROM found`,
      [tables.schema, tables.key],
    );
    const row = rows[0];
    if (row !== undefined) {
      return { lockKey: { classId: row.class_id, objectId: row.lock_id }, taken: row.taken };
    }
  }
  throw new Error(
    `the row of key "${tables.key}" in ${tables.locks} kept disappearing while this run looked for its lock id`,
  );
}

/** The lock that serialises creating `schema` and the tables in it. */
export function setupLockKey(schema: string): AdvisoryLockKey {
  const objectId = createHash('sha256').update(schema, 'utf8').digest().readInt32BE(0);
  return { classId: setupLockClass, objectId };
}
