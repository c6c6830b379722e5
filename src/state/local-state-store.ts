import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { silentLogger, type Logger } from '../diagnostics/logger.ts';
import { checkSuccessor } from './check-successor.ts';
import { hasErrorCode } from './has-error-code.ts';
import { acquireLockFile, removeLockFile } from './lock-file.ts';
import { parseState } from './parse-state.ts';
import { removeStagedFiles, replaceStateFile } from './replace-state-file.ts';
import { serializeState } from './serialize-state.ts';
import type { State } from './state.ts';
import type { ForcedUnlock, LockHolder, StateLock, StateStore } from './state-store.ts';

export interface LocalStateStoreOptions {
  /**
   * The state file, such as `.pgdest/state.json`, resolved by the caller. It
   * is shown as given in messages. The backup is `PATH.backup`, the lock `PATH.lock`.
   */
  path: string;
  logger?: Logger;
  /** How often a run waiting for the lock looks again; 150 ms unless given. */
  pollIntervalMs?: number;
}

/**
 * The state in a local file, mode 0600 in a folder created 0700. Writes are
 * atomic and keep the previous version as a backup (see `replaceStateFile`);
 * the lock is a file beside the state (see `acquireLockFile`).
 */
export class LocalStateStore implements StateStore {
  readonly location: string;
  readonly #path: string;
  readonly #logger: Logger;
  readonly #pollIntervalMs: number;
  /** Locks taken through this store and not yet released, for close. */
  readonly #locks = new Set<StateLock>();

  constructor(options: LocalStateStoreOptions) {
    this.location = options.path;
    this.#path = options.path;
    this.#logger = options.logger ?? silentLogger;
    this.#pollIntervalMs = options.pollIntervalMs ?? 150;
  }

  async read(): Promise<State | undefined> {
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (error) {
      if (!hasErrorCode(error, 'ENOENT')) throw error;
      await this.#warnOfLoneBackup();
      return undefined;
    }
    return parseState(text, this.location);
  }

  async write(state: State): Promise<void> {
    // The comparison and the rename are two steps; they are race-free only
    // while the caller holds the lock, as pgdest commands do.
    checkSuccessor(this.location, await this.read(), state);

    await createPrivateFolder(dirname(this.#path));
    await replaceStateFile(this.#path, serializeState(state));
    this.#logger.debug('state', `wrote serial ${state.serial} to ${this.location}`);
  }

  async lock(holder: LockHolder, timeoutMs: number): Promise<StateLock> {
    await createPrivateFolder(dirname(this.#path));
    const lock = await acquireLockFile(`${this.#path}.lock`, holder, timeoutMs, {
      location: this.location,
      pollIntervalMs: this.#pollIntervalMs,
      logger: this.#logger,
    });

    // Holding the lock, this run is the only writer: files staged by a run
    // that was killed mid-write can no longer be renamed by anyone.
    const leftovers = await removeStagedFiles(this.#path);
    if (leftovers.length > 0) {
      this.#logger.debug(
        'state',
        `removed ${leftovers.length} unfinished write(s) left by an interrupted run: ${leftovers.join(', ')}`,
      );
    }

    this.#locks.add(lock);
    return {
      release: async () => {
        this.#locks.delete(lock);
        await lock.release();
      },
    };
  }

  forceUnlock(): Promise<ForcedUnlock> {
    return removeLockFile(`${this.#path}.lock`);
  }

  // A file store holds nothing open between calls; only a lock still held
  // must go, as it would with the session of the PostgreSQL store.
  async close(): Promise<void> {
    const held = [...this.#locks];
    this.#locks.clear();
    for (const lock of held) await lock.release();
  }

  // Writes never leave a backup without a state, so a lone backup means the
  // state was deleted or moved: planning from nothing would recreate every
  // destination, which the user should hear about before approving.
  async #warnOfLoneBackup(): Promise<void> {
    const backup = await stat(`${this.#path}.backup`).catch(() => undefined);
    if (backup) {
      this.#logger.warn(
        'state',
        `${this.location} does not exist but ${this.location}.backup does; if the state was deleted by mistake, restore it from the backup`,
      );
    }
  }
}

// Mode 0700 only for a folder this run creates: an existing folder, such as
// the project root when the path has no folder, is the user's to set.
async function createPrivateFolder(folder: string): Promise<void> {
  const created = await mkdir(folder, { recursive: true, mode: 0o700 });
  if (created !== undefined) await chmod(folder, 0o700);
}
