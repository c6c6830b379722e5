import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../../src/diagnostics/logger.ts';
import { LocalStateStore } from '../../../src/state/local-state-store.ts';
import { parseState } from '../../../src/state/parse-state.ts';
import { catchDiagnostic, liveHolder, sampleState } from './sample-state.ts';
import { runStateStoreContract } from './state-store-contract.ts';

runStateStoreContract('local file', async () => {
  const root = await mkdtemp(join(tmpdir(), 'pgdest-state-'));
  return {
    open: async () =>
      new LocalStateStore({ path: join(root, '.pgdest', 'state.json'), pollIntervalMs: 50 }),
    dispose: () => rm(root, { recursive: true, force: true }),
  };
});

describe('the local state store', () => {
  let root: string;
  let path: string;
  let warnings: string[];
  let logger: Logger;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'pgdest-state-'));
    path = join(root, '.pgdest', 'state.json');
    warnings = [];
    logger = { debug() {}, warn: (_scope, message) => void warnings.push(message) };
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const openStore = () => new LocalStateStore({ path, logger, pollIntervalMs: 50 });
  const modeOf = async (file: string) => (await stat(file)).mode & 0o777;

  describe('files', () => {
    it('creates the state folder with mode 0700 and the state, backup and lock with mode 0600', async () => {
      const store = openStore();
      await store.lock(liveHolder(), 0);
      await store.write(sampleState(1));
      await store.write(sampleState(2));

      expect(await modeOf(join(root, '.pgdest'))).toBe(0o700);
      expect(await modeOf(path)).toBe(0o600);
      expect(await modeOf(`${path}.backup`)).toBe(0o600);
      expect(await modeOf(`${path}.lock`)).toBe(0o600);
    });

    it('leaves the mode of a folder it did not create as it was', async () => {
      await mkdir(join(root, '.pgdest'), { mode: 0o755 });
      await openStore().write(sampleState(1));
      expect(await modeOf(join(root, '.pgdest'))).toBe(0o755);
    });

    it('writes the state as serializeState lays it out', async () => {
      await openStore().write(sampleState(1));
      const text = await readFile(path, 'utf8');
      expect(text).toMatch(/^\{\n {2}"format_version": 1,\n {2}"lineage": /);
      expect(text.endsWith('}\n')).toBe(true);
    });

    it('keeps the version it replaces as state.json.backup', async () => {
      const store = openStore();
      await store.write(sampleState(1));
      await store.write(sampleState(2));
      await store.write(sampleState(3));

      const backup = parseState(await readFile(`${path}.backup`, 'utf8'), 'backup');
      expect(backup).toStrictEqual(sampleState(2));
    });

    it('writes no backup on the first write', async () => {
      await openStore().write(sampleState(1));
      await expect(stat(`${path}.backup`)).rejects.toThrow(/ENOENT/);
    });

    it('removes the lock file on release', async () => {
      const lock = await openStore().lock(liveHolder(), 0);
      await lock.release();
      await expect(stat(`${path}.lock`)).rejects.toThrow(/ENOENT/);
    });

    it('removes files staged by an interrupted write when it takes the lock, and nothing else', async () => {
      await mkdir(join(root, '.pgdest'));
      for (const name of [
        'state.json.1a2b3c.tmp',
        'state.json.backup.4d5e6f.tmp',
        'notes.tmp',
        'state.json.old',
      ]) {
        await writeFile(join(root, '.pgdest', name), '{"half":');
      }

      await openStore().lock(liveHolder(), 0);

      const names = await readdir(join(root, '.pgdest'));
      expect(names.sort()).toStrictEqual(['notes.tmp', 'state.json.lock', 'state.json.old']);
    });

    it('warns when the state is missing but a backup is there', async () => {
      const store = openStore();
      await store.write(sampleState(1));
      await store.write(sampleState(2));
      await rm(path);

      expect(await store.read()).toBeUndefined();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`${path}.backup`);
    });

    it('reads an empty folder as no state, without a warning', async () => {
      expect(await openStore().read()).toBeUndefined();
      expect(warnings).toStrictEqual([]);
    });

    it('names the file when the state cannot be parsed', async () => {
      await mkdir(join(root, '.pgdest'));
      await writeFile(path, '{"format_version": 1, "lineage": ');

      const diagnostic = await catchDiagnostic(openStore().read());

      expect(diagnostic.summary).toBe('State file is not valid JSON');
      expect(diagnostic.detail).toContain(path);
      expect(diagnostic.hint).toContain(`${path}.backup`);
    });
  });

  describe('locks left behind', () => {
    it('takes over a lock left by a process on this host that is no longer running, with a warning', async () => {
      const pid = await findDeadPid();
      await writeLockFile({
        id: 'left-behind',
        host: hostname(),
        pid,
        command: 'pgdest apply',
        since: '2024-05-01T10:00:00.000Z',
      });

      await openStore().lock(liveHolder('pgdest plan'), 0);

      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`process ${pid} on ${hostname()} (pgdest apply)`);
      expect(warnings[0]).toContain('no longer running');
      expect(await readFile(`${path}.lock`, 'utf8')).toContain('pgdest plan');
    });

    it('does not take over a lock held by a live process on this host', async () => {
      const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
        stdio: 'ignore',
      });
      try {
        await writeLockFile({
          id: 'alive',
          host: hostname(),
          pid: child.pid,
          command: 'pgdest apply',
          since: '2024-05-01T10:00:00.000Z',
        });

        const diagnostic = await catchDiagnostic(openStore().lock(liveHolder('pgdest plan'), 0));

        expect(diagnostic.detail).toContain(`process ${child.pid} on ${hostname()}`);
        expect(warnings).toStrictEqual([]);
      } finally {
        child.kill('SIGKILL');
      }
    });

    it('never takes over a lock from another host, even when that pid is not running here', async () => {
      const pid = await findDeadPid();
      await writeLockFile({
        id: 'remote',
        host: 'build-agent-7.example.com',
        pid,
        command: 'pgdest apply',
        since: '2024-05-01T10:00:00.000Z',
      });

      const diagnostic = await catchDiagnostic(openStore().lock(liveHolder('pgdest plan'), 200));

      expect(diagnostic.summary).toBe('State is locked');
      expect(diagnostic.detail).toContain(`process ${pid} on build-agent-7.example.com`);
      expect(warnings).toStrictEqual([]);
    });

    it('waits for a lock file that cannot be read yet, then refuses saying it does not know the holder', async () => {
      await writeLockFile('');

      const diagnostic = await catchDiagnostic(openStore().lock(liveHolder(), 200));

      expect(diagnostic.summary).toBe('State is locked');
      expect(diagnostic.detail).toContain('does not say by whom');
      expect(diagnostic.hint).toContain('pgdest state unlock');
    });

    it('takes over a lock file that has stayed unreadable for more than ten seconds, with a warning', async () => {
      await writeLockFile('{"host": "ci-3", "pid"');
      const aMinuteAgo = new Date(Date.now() - 60_000);
      await utimes(`${path}.lock`, aMinuteAgo, aMinuteAgo);

      await openStore().lock(liveHolder(), 0);

      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('could not be read');
    });

    it('refuses rather than spins when the lock path is a dangling symbolic link', async () => {
      await mkdir(join(root, '.pgdest'));
      await symlink(join(root, 'nowhere'), `${path}.lock`);

      const diagnostic = await catchDiagnostic(openStore().lock(liveHolder(), 200));

      expect(diagnostic.summary).toBe('State is locked');
    });

    it('reports a forced unlock of an unreadable lock without a holder', async () => {
      await writeLockFile('garbage');
      expect(await openStore().forceUnlock()).toStrictEqual({ kind: 'unlocked' });
      await expect(stat(`${path}.lock`)).rejects.toThrow(/ENOENT/);
    });

    it('lets only one of several runs take over the same abandoned lock', async () => {
      const pid = await findDeadPid();
      await writeLockFile({
        id: 'left-behind',
        host: hostname(),
        pid,
        command: 'pgdest apply',
        since: '2024-05-01T10:00:00.000Z',
      });

      const attempts = await Promise.allSettled(
        Array.from({ length: 8 }, (_, index) =>
          openStore().lock(liveHolder(`pgdest plan #${index}`), 0),
        ),
      );

      expect(attempts.filter((attempt) => attempt.status === 'fulfilled')).toHaveLength(1);
    });
  });

  async function writeLockFile(content: object | string): Promise<void> {
    await mkdir(join(root, '.pgdest'), { recursive: true });
    await writeFile(
      `${path}.lock`,
      typeof content === 'string' ? content : JSON.stringify(content),
      { mode: 0o600 },
    );
  }
});

/** The pid of a process that has just exited, so that no process has it. */
async function findDeadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await once(child, 'exit');
  return child.pid!;
}
