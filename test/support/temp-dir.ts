import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Makes a fresh folder under the system's temp folder, readable and
 * traversable by others (mode 0755) so that servers running as another OS user
 * can reach the files put inside it.
 */
export async function createTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `pgdest-${prefix}-`));
  await chmod(dir, 0o755);
  return dir;
}

/** Removes a folder made by createTempDir, and everything in it. */
export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
