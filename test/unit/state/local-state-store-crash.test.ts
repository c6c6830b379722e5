import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStateStore } from '../../../src/state/local-state-store.ts';
import { parseState } from '../../../src/state/parse-state.ts';
import { advanceState } from '../../../src/state/state.ts';
import { liveHolder } from './sample-state.ts';

const writer = fileURLToPath(new URL('./support/write-state-forever.ts', import.meta.url));
const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
const rounds = 20;

describe('a local state whose writer is killed with SIGKILL', () => {
  let root: string;
  let path: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'pgdest-crash-'));
    path = join(root, '.pgdest', 'state.json');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('parses afterwards, old or new, with a complete backup one version behind at most', async () => {
    let lastSerial = 0;
    let killedMidWrite = 0;

    for (let round = 0; round < rounds; round += 1) {
      await runWriterAndKillIt(path, Math.random() * 60);

      const state = parseState(await readFile(path, 'utf8'), path);
      const backup = parseState(await readFile(`${path}.backup`, 'utf8'), `${path}.backup`);
      expect(Object.keys(state.destinations)).toHaveLength((state.serial % 9) + 1);
      expect(Object.keys(backup.destinations)).toHaveLength((backup.serial % 9) + 1);
      expect(backup.lineage).toBe(state.lineage);
      expect([state.serial - 1, state.serial]).toContain(backup.serial);
      expect(state.serial).toBeGreaterThan(lastSerial);
      lastSerial = state.serial;
      if ((await listStagedFiles(path)).length > 0) killedMidWrite += 1;
    }

    // Without kills that land inside a write, this test would prove nothing.
    expect(killedMidWrite).toBeGreaterThan(0);
  });

  it('does not block the next run, which takes over the lock, clears the unfinished write and writes on', async () => {
    await runWriterAndKillIt(path, 30);
    const warnings: string[] = [];
    const store = new LocalStateStore({
      path,
      logger: { debug() {}, warn: (_, message) => void warnings.push(message) },
    });

    await store.lock(liveHolder(), 0);
    const prior = await store.read();
    await store.write(advanceState(prior!));

    expect(warnings.join('\n')).toContain('write-state-forever');
    expect(await listStagedFiles(path)).toStrictEqual([]);
    expect((await store.read())?.serial).toBe(prior!.serial + 1);
  });
});

/** Starts a writer, waits until it is writing, lets it write for `delayMs`, then kills it. */
async function runWriterAndKillIt(path: string, delayMs: number): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', writer, path], {
    cwd: repositoryRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit');

  const lines = createInterface({ input: child.stdout });
  const started = await Promise.race([
    once(lines, 'line').then(([line]) => line === 'writing'),
    exited.then(() => false),
  ]);
  if (!started) throw new Error(`the writer stopped before writing: ${stderr}`);

  await sleep(delayMs);
  child.kill('SIGKILL');
  await exited;
}

async function listStagedFiles(path: string): Promise<string[]> {
  const names = await readdir(dirname(path));
  return names.filter((name) => name.endsWith('.tmp'));
}
