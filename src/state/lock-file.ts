import { randomUUID } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../diagnostics/logger.ts';
import { hasErrorCode } from './has-error-code.ts';
import { removeQuietly } from './replace-state-file.ts';
import { describeLockHolder, stateLockedError } from './state-errors.ts';
import type { ForcedUnlock, LockHolder, StateLock } from './state-store.ts';

/*
 * The lock of the local backend: a file beside the state, created with
 * O_EXCL so that only one run can create it, holding its holder as JSON.
 */

/** A lock file younger than this that cannot be read may still be being written. */
const unreadableGraceMs = 10_000;
/** The takeover guard is held for a few milliseconds; older than this, its owner died. */
const takeoverGuardStaleMs = 30_000;

export interface LockFileOptions {
  /** The state's name in messages. */
  location: string;
  pollIntervalMs: number;
  logger: Logger;
}

/** What the lock file held when it was looked at. */
export type LockSnapshot =
  | { kind: 'absent' }
  | { kind: 'held'; id: string; holder: LockHolder }
  /** `signature` tells this very file apart from one created later at the same path. */
  | { kind: 'unreadable'; ageMs: number; signature: string };

/**
 * Creates the lock file for `holder`, waiting up to `timeoutMs` while another
 * run holds it. A lock left by a process that died on this host, or a lock
 * file that stayed unreadable for ten seconds, is taken over with a warning,
 * so that a run killed with SIGKILL does not block the next one. A lock from
 * another host is never taken over: its process cannot be checked from here.
 */
export async function acquireLockFile(
  lockPath: string,
  holder: LockHolder,
  timeoutMs: number,
  options: LockFileOptions,
): Promise<StateLock> {
  const id = randomUUID();
  const startedAt = Date.now();
  let announced = false;
  let vanished = 0;

  for (;;) {
    if (await createLockFile(lockPath, { id, ...holder })) {
      return createRelease(lockPath, id, options);
    }

    // Someone holds it: take it over if they are gone, else wait or refuse.
    const snapshot = await inspectLockFile(lockPath);
    // Released in between: try again at once. Not forever, though: a path that
    // exists for O_EXCL but not for reading (a dangling symlink) would spin.
    if (snapshot.kind === 'absent' && (vanished += 1) <= 3) continue;
    const abandonment = explainAbandonment(snapshot);
    if (abandonment !== undefined) {
      const outcome = await removeAbandonedLock(lockPath, snapshot);
      if (outcome === 'removed') {
        options.logger.warn('state', `took over the lock on ${options.location}: ${abandonment}`);
      }
      if (outcome !== 'busy') continue;
    }

    const waitedMs = Date.now() - startedAt;
    const current = snapshot.kind === 'held' ? snapshot.holder : undefined;
    if (waitedMs >= timeoutMs) throw stateLockedError(options.location, current, waitedMs);
    if (!announced) {
      const by = current ? describeLockHolder(current) : 'a run that has not said who it is';
      options.logger.debug(
        'state',
        `waiting up to ${timeoutMs} ms for the lock on ${options.location}, held by ${by}`,
      );
      announced = true;
    }
    await sleep(Math.min(options.pollIntervalMs, timeoutMs - waitedMs));
  }
}

/** Removes the lock file whoever holds it, for `pgdest state unlock`. */
export async function removeLockFile(lockPath: string): Promise<ForcedUnlock> {
  const snapshot = await inspectLockFile(lockPath);
  if (snapshot.kind === 'absent') return { kind: 'not-locked' };
  await removeQuietly(lockPath);
  return snapshot.kind === 'held'
    ? { kind: 'unlocked', holder: snapshot.holder }
    : { kind: 'unlocked' };
}

async function createLockFile(
  lockPath: string,
  record: LockHolder & { id: string },
): Promise<boolean> {
  let file;
  try {
    file = await open(lockPath, 'wx', 0o600);
  } catch (error) {
    if (hasErrorCode(error, 'EEXIST')) return false;
    throw error;
  }
  try {
    await file.chmod(0o600);
    await file.writeFile(`${JSON.stringify(record, null, 2)}\n`);
    await file.sync();
    await file.close();
    return true;
  } catch (error) {
    // A lock nobody can read would hold up the next run for ten seconds.
    await file.close().catch(() => undefined);
    await removeQuietly(lockPath);
    throw error;
  }
}

function createRelease(lockPath: string, id: string, options: LockFileOptions): StateLock {
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      // Remove the file only if it is still ours: after `pgdest state unlock`
      // it may belong to another run by now.
      const snapshot = await inspectLockFile(lockPath);
      if (snapshot.kind === 'held' && snapshot.id === id) {
        await removeQuietly(lockPath);
      } else {
        options.logger.warn(
          'state',
          `the lock on ${options.location} had been removed by someone else before this run released it`,
        );
      }
    },
  };
}

/** Reads the lock file without changing it. */
export async function inspectLockFile(lockPath: string): Promise<LockSnapshot> {
  let file;
  try {
    file = await open(lockPath, 'r');
  } catch (error) {
    if (hasErrorCode(error, 'ENOENT')) return { kind: 'absent' };
    throw error;
  }
  try {
    const stats = await file.stat();
    const record = readLockRecord(await file.readFile('utf8'));
    if (record) return { kind: 'held', id: record.id, holder: record.holder };
    const signature = `${stats.ino}:${stats.mtimeMs}:${stats.size}`;
    return { kind: 'unreadable', ageMs: Date.now() - stats.mtimeMs, signature };
  } finally {
    await file.close();
  }
}

function readLockRecord(text: string): { id: string; holder: LockHolder } | undefined {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const { id, host, pid, command, since } = value ?? {};
  const valid =
    typeof id === 'string' &&
    typeof host === 'string' &&
    typeof command === 'string' &&
    typeof since === 'string' &&
    Number.isSafeInteger(pid) &&
    (pid as number) > 0;
  return valid ? { id, holder: { host, pid: pid as number, command, since } } : undefined;
}

/** Why the lock's holder is certainly gone, or undefined when it may still run. */
function explainAbandonment(snapshot: LockSnapshot): string | undefined {
  if (snapshot.kind === 'held') {
    const { holder } = snapshot;
    if (holder.host !== hostname() || isProcessAlive(holder.pid)) return undefined;
    return `it was left by ${describeLockHolder(holder)}, which is no longer running`;
  }
  if (snapshot.kind === 'unreadable' && snapshot.ageMs > unreadableGraceMs) {
    return `the lock file could not be read and is ${Math.round(snapshot.ageMs / 1000)}s old, so the run that created it most likely died before writing it`;
  }
  return undefined;
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return !hasErrorCode(error, 'ESRCH');
  }
}

/**
 * Removes an abandoned lock file, unless another run got there first. Two
 * runs may judge the same lock abandoned; were both to delete it, the slower
 * one could delete the lock the faster one has just created. So removal
 * happens under a guard file created with O_EXCL, and only after checking,
 * under the guard, that the lock file is still the one judged abandoned.
 * `busy`: another run holds the guard; `changed`: the lock file is another one now.
 */
export async function removeAbandonedLock(
  lockPath: string,
  judged: LockSnapshot,
): Promise<'removed' | 'changed' | 'busy'> {
  const guard = `${lockPath}.takeover`;
  if (!(await createGuard(guard))) return 'busy';
  try {
    const current = await inspectLockFile(lockPath);
    if (!isSameLock(current, judged)) return 'changed';
    await removeQuietly(lockPath);
    return 'removed';
  } finally {
    await removeQuietly(guard);
  }
}

async function createGuard(guard: string): Promise<boolean> {
  try {
    await (await open(guard, 'wx', 0o600)).close();
    return true;
  } catch (error) {
    if (!hasErrorCode(error, 'EEXIST')) throw error;
  }
  // A guard this old belongs to a run that died while holding it; the next
  // attempt may take it.
  const stats = await stat(guard).catch(() => undefined);
  if (stats && Date.now() - stats.mtimeMs > takeoverGuardStaleMs) await removeQuietly(guard);
  return false;
}

function isSameLock(a: LockSnapshot, b: LockSnapshot): boolean {
  if (a.kind === 'held' && b.kind === 'held') return a.id === b.id;
  if (a.kind === 'unreadable' && b.kind === 'unreadable') return a.signature === b.signature;
  return false;
}
