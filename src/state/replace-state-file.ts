import { randomBytes } from 'node:crypto';
import { link, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { hasErrorCode } from './has-error-code.ts';

/**
 * Replaces the file at `path` with `text`, keeping the version it replaces as
 * `path.backup`. Whenever the process dies, even by SIGKILL, `path` holds
 * either the old or the new text in full and the backup holds a complete
 * earlier version: nothing is ever written in place, only whole files that
 * are already on disk are renamed over others, and a rename is atomic.
 *
 * A crash can leave a staged file (`state.json.<random>.tmp`) behind; the
 * next run removes it with `removeStagedFiles` once it holds the lock.
 */
export async function replaceStateFile(path: string, text: string): Promise<void> {
  // The new version is complete and flushed under a temporary name before it
  // can become the state.
  const staged = stagingPath(path);
  try {
    await writeDurably(staged, text);

    // The file about to be replaced becomes the backup. It is linked, not
    // copied: the state file is never changed in place, so the linked inode
    // keeps the previous version as it was, and renaming the link over the
    // old backup swaps one complete version for another.
    await keepAsBackup(path);

    // The rename is the moment the new version takes over; syncing the folder
    // makes the new names survive a power cut too.
    await rename(staged, path);
    await syncFolder(dirname(path));
  } finally {
    await removeQuietly(staged);
  }
}

/**
 * Removes files that `replaceStateFile` staged and did not get to rename,
 * because the run that staged them was killed. Only call it while holding the
 * lock, so that no other run is staging at the same moment. Returns their names.
 */
export async function removeStagedFiles(path: string): Promise<string[]> {
  const prefix = `${basename(path)}.`;
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  const staged = names.filter((name) => name.startsWith(prefix) && name.endsWith('.tmp'));
  await Promise.all(staged.map((name) => removeQuietly(join(dirname(path), name))));
  return staged;
}

async function keepAsBackup(path: string): Promise<void> {
  const staged = stagingPath(`${path}.backup`);
  try {
    await link(path, staged);
  } catch (error) {
    if (hasErrorCode(error, 'ENOENT')) return; // the first write: nothing to keep
    if (!hasErrorCode(error, 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV')) throw error;
    // Some file systems (FAT, certain network shares) have no hard links.
    await writeDurably(staged, await readFile(path));
  }
  try {
    await rename(staged, `${path}.backup`);
  } finally {
    await removeQuietly(staged);
  }
}

async function writeDurably(path: string, content: string | Buffer): Promise<void> {
  const file = await open(path, 'wx', 0o600);
  try {
    // The mode given to open is reduced by the umask; the state must be 0600 exactly.
    await file.chmod(0o600);
    await file.writeFile(content);
    await file.sync();
  } finally {
    await file.close();
  }
}

async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Windows and a few file systems cannot sync a folder; the rename stands.
    if (!hasErrorCode(error, 'EISDIR', 'EPERM', 'EINVAL', 'EBADF')) throw error;
  } finally {
    await handle.close();
  }
}

function stagingPath(path: string): string {
  return `${path}.${randomBytes(6).toString('hex')}.tmp`;
}

/** Removes `path`, if it is there. */
export async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch((error: unknown) => {
    if (!hasErrorCode(error, 'ENOENT')) throw error;
  });
}
