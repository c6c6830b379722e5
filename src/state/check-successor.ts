import { stateChangedError } from './state-errors.ts';
import type { State } from './state.ts';

/**
 * The compare-and-swap rule every backend applies before it writes: `next`
 * must carry the stored lineage and the stored serial plus one. Over an empty
 * store any lineage is accepted from serial 1, so that `pgdest state migrate`
 * can carry a state's history to a new backend.
 */
export function checkSuccessor(location: string, stored: State | undefined, next: State): void {
  if (!Number.isSafeInteger(next.serial) || next.serial < 1) {
    // Callers advance the serial of what they read; serial 0 is a state that
    // was created and never advanced, which is a bug, not a user error.
    throw new Error(`a state written to ${location} must have a serial from 1, not ${next.serial}`);
  }
  if (stored === undefined) return;
  if (stored.lineage !== next.lineage || stored.serial + 1 !== next.serial) {
    throw stateChangedError(location, stored, next);
  }
}
