import type { State } from './state.ts';

/** Who holds the state lock, shown to a second run that finds it taken. */
export interface LockHolder {
  /** The host name of the machine the run is on. */
  host: string;
  pid: number;
  /** The command line, such as `pgdest apply`, without secrets. */
  command: string;
  /** When the lock was taken, ISO 8601. */
  since: string;
}

/** A lock that this run holds. */
export interface StateLock {
  /** Gives the lock up. Calling it again, or after the lock was forced open, does nothing. */
  release(): Promise<void>;
}

/** What `forceUnlock` found. */
export type ForcedUnlock =
  | { kind: 'not-locked' }
  /** The holder is absent when the lock could not be read, such as a lock file left empty. */
  | { kind: 'unlocked'; holder?: LockHolder };

/**
 * Where the prior state is kept, between runs and between people. Both
 * backends, the local file and the PostgreSQL table, implement it and pass the
 * same contract suite (test/unit/state/state-store-contract.ts).
 *
 * A run takes the lock, reads, and writes once per step it records; the
 * compare-and-swap in `write` catches a run that wrote without the lock or
 * after the lock was forced open.
 */
export interface StateStore {
  /** A name for messages: the file path, or `postgres://host/db#key`. */
  readonly location: string;

  /** The stored state, or undefined when nothing was ever written. */
  read(): Promise<State | undefined>;

  /**
   * Stores `state` if its serial is one more than the stored serial and its
   * lineage is the stored lineage; when nothing is stored yet, any lineage
   * and any serial from 1 is accepted, so that a migrated state keeps its
   * history. Otherwise it is refused with a UserError (`State changed since it
   * was read`) and nothing is written.
   */
  write(state: State): Promise<void>;

  /**
   * Takes the lock for `holder`, waiting up to `timeoutMs` for another run to
   * give it up (0: try once). When it stays taken, refuses with a UserError
   * (`State is locked`) that names the holder and what to do.
   */
  lock(holder: LockHolder, timeoutMs: number): Promise<StateLock>;

  /**
   * Removes the lock whoever holds it, for `pgdest state unlock` after a run
   * died. Says who held it, so that the command can report it. A backend may
   * refuse with a UserError when it cannot tell whose lock it is or may not
   * remove it (see PostgresStateStore).
   */
  forceUnlock(): Promise<ForcedUnlock>;

  /**
   * Releases a lock still held and ends the connections the store opened, so
   * that the run can exit. Every run calls it once at the end; the store is
   * not used afterwards.
   */
  close(): Promise<void>;
}
