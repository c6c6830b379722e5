import { createHash } from 'node:crypto';

/*
 * pgdest's advisory locks use PostgreSQL's two-int form, (class, id). The
 * server keeps that form apart from the bigint form (pg_locks shows it with
 * objsubid 2), so pgdest can only meet applications that chose the same
 * class number in the two-int form. The class numbers spell "pgd" in ASCII
 * with a counter: one class for the state locks, one for creating the tables.
 */

/** The class of the lock a run holds on one state (schema and key) for as long as it runs. */
export const stateLockClass = 0x70_67_64_01;
/** The class of the lock held for a moment while the state schema and tables are created. */
export const setupLockClass = 0x70_67_64_02;

/** The two halves of an advisory lock key, as `pg_try_advisory_lock(int4, int4)` takes them. */
export interface AdvisoryLockKey {
  classId: number;
  /** A signed 32-bit integer. */
  objectId: number;
}

/**
 * The advisory lock of the state kept under `key` in `schema`. The id is the
 * first 32 bits of a SHA-256 of both names: stable across versions and
 * machines, and the same for every run that opens that state.
 *
 * Two different states can share an id (for a thousand keys in one database,
 * about one chance in eight thousand). A collision never lets two runs hold
 * the same state; it only makes the two states wait for each other, and the
 * store says so when it happens (the holder it names is under another key).
 */
export function stateLockKey(schema: string, key: string): AdvisoryLockKey {
  return { classId: stateLockClass, objectId: hashToInt32(`${schema}\u0000${key}`) };
}

/** The lock that serialises creating `schema` and the tables in it. */
export function setupLockKey(schema: string): AdvisoryLockKey {
  return { classId: setupLockClass, objectId: hashToInt32(schema) };
}

// The NUL separator cannot occur in a PostgreSQL identifier, so no two pairs
// of names give the same input.
function hashToInt32(text: string): number {
  return createHash('sha256').update(text, 'utf8').digest().readInt32BE(0);
}
