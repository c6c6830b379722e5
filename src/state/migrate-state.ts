import { errorDiagnostic, UserError } from '../diagnostics/diagnostic.ts';
import { serializeState } from './serialize-state.ts';
import type { State } from './state.ts';
import type { LockHolder, StateLock, StateStore } from './state-store.ts';

/** What `migrateState` did, for `pgdest state migrate` to report. */
export interface MigratedState {
  /** `copied`: the target holds the source's state now; `unchanged`: it already held exactly that state. */
  outcome: 'copied' | 'unchanged';
  lineage: string;
  serial: number;
  from: string;
  to: string;
  /** What the user does next, in one sentence. */
  nextStep: string;
}

/**
 * Copies the state from one store to another, such as from the local file to
 * a PostgreSQL table or back, keeping its lineage and serial so that saved
 * plans and the history stay valid. Both stores are locked for `holder`
 * (waiting up to `timeoutMs` for each) and released before it returns.
 *
 * A target that already holds a state is left alone and the migration is
 * refused, unless it holds this very state (same lineage, serial and
 * content), in which case there is nothing to do. The source is never
 * changed: the user switches the configuration's `state` section, then
 * removes the old copy when they are sure.
 *
 * The caller opened both stores and closes them.
 */
export async function migrateState(
  from: StateStore,
  to: StateStore,
  holder: LockHolder,
  timeoutMs: number,
): Promise<MigratedState> {
  if (from.location === to.location) throw sameStoreError(from.location);

  // Both locks for the whole copy: no run may write either side meanwhile.
  // Always source first, so that two migrations between the same stores in
  // the same direction queue up instead of each holding one lock.
  const locks: StateLock[] = [];
  try {
    locks.push(await from.lock(holder, timeoutMs));
    locks.push(await to.lock(holder, timeoutMs));

    const source = await from.read();
    if (source === undefined) throw nothingToMigrateError(from.location);

    const result = (outcome: MigratedState['outcome']): MigratedState => ({
      outcome,
      lineage: source.lineage,
      serial: source.serial,
      from: from.location,
      to: to.location,
      nextStep: `Make sure the state section of the configuration names ${to.location}, so that runs use it; ${from.location} was left as it was, to remove once every run does.`,
    });

    const target = await to.read();
    if (target !== undefined) {
      if (isSameState(source, target)) return result('unchanged');
      throw targetNotEmptyError(source, target, from.location, to.location);
    }

    await to.write(source);
    return result('copied');
  } finally {
    for (const lock of locks.reverse()) await lock.release();
  }
}

function isSameState(a: State, b: State): boolean {
  return serializeState(a) === serializeState(b);
}

function sameStoreError(location: string): UserError {
  return new UserError(
    errorDiagnostic('Cannot migrate a state onto itself', {
      detail: `The source and the target of the migration are both ${location}.`,
      hint: 'Name a target that differs from the state section the configuration uses now.',
    }),
  );
}

function nothingToMigrateError(location: string): UserError {
  return new UserError(
    errorDiagnostic('No state to migrate', {
      detail: `${location} holds no state: no run has written one there yet.`,
      hint: "Check that the source is the state your runs use (the configuration's state section, and -c when the configuration is elsewhere).",
    }),
  );
}

function targetNotEmptyError(source: State, target: State, from: string, to: string): UserError {
  const differs =
    target.lineage === source.lineage
      ? `an older or newer version of the same state (serial ${target.serial}, where ${from} is at serial ${source.serial})`
      : `another state (lineage ${target.lineage}, serial ${target.serial}; ${from} has lineage ${source.lineage}, serial ${source.serial})`;
  return new UserError(
    errorDiagnostic('Target of the migration already holds a state', {
      detail: `${to} already holds ${differs}. Nothing was written, so as not to overwrite it.`,
      hint: 'Migrate to an empty place instead (another state key or file), or, once you are sure the state there is not needed, remove it and run the migration again.',
    }),
  );
}
