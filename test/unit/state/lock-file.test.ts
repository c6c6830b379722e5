import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inspectLockFile, removeAbandonedLock } from '../../../src/state/lock-file.ts';

/*
 * The takeover of an abandoned lock races with other runs doing the same; these
 * tests set up each interleaving by hand instead of hoping a scheduler hits it.
 */
describe('removing an abandoned lock', () => {
  let root: string;
  let lockPath: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'pgdest-lock-'));
    lockPath = join(root, 'state.json.lock');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const writeLock = (id: string) =>
    writeFile(
      lockPath,
      JSON.stringify({
        id,
        host: 'ci-3',
        pid: 4242,
        command: 'pgdest apply',
        since: '2024-05-01T10:00:00.000Z',
      }),
    );

  it('removes the lock file it judged abandoned', async () => {
    await writeLock('left-behind');
    const judged = await inspectLockFile(lockPath);

    expect(await removeAbandonedLock(lockPath, judged)).toBe('removed');
    expect(await inspectLockFile(lockPath)).toStrictEqual({ kind: 'absent' });
  });

  it('keeps a lock that another run created after this one judged the old lock abandoned', async () => {
    await writeLock('left-behind');
    const judged = await inspectLockFile(lockPath);
    await rm(lockPath);
    await writeLock('taken-meanwhile');

    expect(await removeAbandonedLock(lockPath, judged)).toBe('changed');
    expect(await readFile(lockPath, 'utf8')).toContain('taken-meanwhile');
  });

  it('keeps an unreadable lock that was replaced by another unreadable one meanwhile', async () => {
    await writeFile(lockPath, '');
    const judged = await inspectLockFile(lockPath);
    await rm(lockPath);
    await writeFile(lockPath, '{"id": "being-writ');

    expect(await removeAbandonedLock(lockPath, judged)).toBe('changed');
    expect(await inspectLockFile(lockPath)).toMatchObject({ kind: 'unreadable' });
  });

  it('leaves the lock alone while another run is taking it over', async () => {
    await writeLock('left-behind');
    await writeFile(`${lockPath}.takeover`, '');

    expect(await removeAbandonedLock(lockPath, await inspectLockFile(lockPath))).toBe('busy');
    expect(await readFile(lockPath, 'utf8')).toContain('left-behind');
  });

  it('clears a takeover guard left by a run that died holding it, so that the next attempt succeeds', async () => {
    await writeLock('left-behind');
    await writeFile(`${lockPath}.takeover`, '');
    const anHourAgo = new Date(Date.now() - 3_600_000);
    await utimes(`${lockPath}.takeover`, anHourAgo, anHourAgo);
    const judged = await inspectLockFile(lockPath);

    expect(await removeAbandonedLock(lockPath, judged)).toBe('busy');
    expect(await removeAbandonedLock(lockPath, judged)).toBe('removed');
    await expect(stat(`${lockPath}.takeover`)).rejects.toThrow(/ENOENT/);
  });
});
