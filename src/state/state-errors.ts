import { errorDiagnostic, UserError } from '../diagnostics/diagnostic.ts';
import type { State } from './state.ts';
import type { LockHolder } from './state-store.ts';

/*
 * The errors every state backend raises in the same words, so that users see
 * the same message whichever backend they chose.
 */

/** A write refused because the stored state is not the one the run read. */
export function stateChangedError(location: string, stored: State, written: State): UserError {
  const detail =
    stored.lineage === written.lineage
      ? `The state at ${location} is at serial ${stored.serial}, but this run read serial ${written.serial - 1}: another run wrote it meanwhile. Nothing was written.`
      : `The state at ${location} has lineage ${stored.lineage}, but this run read lineage ${written.lineage}: the state was replaced or created by another run meanwhile. Nothing was written.`;
  return new UserError(
    errorDiagnostic('State changed since it was read', {
      detail,
      hint: 'Run the command again so that it starts from the current state, and check that other runs take the lock.',
    }),
  );
}

/**
 * A lock still taken when the wait ran out. `holder` is absent when the lock
 * cannot be read; `unknownHolder` then says why, in the backend's terms.
 */
export function stateLockedError(
  location: string,
  holder: LockHolder | undefined,
  waitedMs: number,
  unknownHolder = 'it may be still being written, or left damaged by a run that died',
): UserError {
  const waited = waitedMs > 0 ? ` This run waited ${formatSeconds(waitedMs)} for it.` : '';
  const detail = holder
    ? `The state at ${location} is locked by ${describeLockHolder(holder)}.${waited}`
    : `The state at ${location} is locked, but the lock does not say by whom: ${unknownHolder}.${waited}`;
  return new UserError(
    errorDiagnostic('State is locked', {
      detail,
      hint: 'Wait for that run to finish, or give --lock-timeout to wait longer; if that process is gone, run `pgdest state unlock`.',
    }),
  );
}

/** `process 4242 on ci-3 (pgdest apply) since 2024-05-01T10:00:00.000Z`. */
export function describeLockHolder(holder: LockHolder): string {
  return `process ${holder.pid} on ${holder.host} (${holder.command}) since ${holder.since}`;
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`;
}
