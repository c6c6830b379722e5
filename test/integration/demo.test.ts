import { spawn, spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const bin = new URL('../../bin/pgdest.js', import.meta.url).pathname;
let temp: string;

afterEach(async () => {
  if (temp) await rm(temp, { recursive: true, force: true });
});

/** Starts `pgdest demo` with a temporary folder of its own, so that what it leaves can be seen. */
async function startDemo(args: string[] = [], env: Record<string, string> = {}) {
  temp = await mkdtemp(join(tmpdir(), 'pgdest-demo-test-'));
  // As /tmp itself is, so that PostgreSQL, run as the postgres user, can reach its folder.
  await chmod(temp, 0o711);
  const child = spawn(process.execPath, [bin, 'demo', ...args], {
    env: { ...process.env, TMPDIR: temp, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exit = new Promise<number | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))),
  );
  return { child, exit, output: () => ({ stdout, stderr }) };
}

/**
 * What the demo left in its temporary folder. tsx, which runs pgdest's
 * TypeScript, keeps its compile cache there across runs by design; it is not
 * the demo's.
 */
async function leftovers(): Promise<string[]> {
  return (await readdir(temp)).filter((name) => !name.startsWith('tsx-'));
}

/** The processes whose command line names the demo's temporary folder. */
async function processesUnder(folder: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(folder)) found.push(`${pid}: ${cmdline.replace(/\0/g, ' ')}`);
  }
  return found;
}

async function waitFor(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('pgdest demo', () => {
  it('walks through the whole flow, exits 0, and leaves no process and no file behind', async () => {
    const demo = await startDemo();
    const code = await demo.exit;
    const { stdout, stderr } = demo.output();
    expect(code, stderr).toBe(0);
    for (const title of [
      '== 1. validate',
      '== 2. plan',
      '== 3. apply',
      '== 4. plan again',
      '== 5. drift',
      '== 6. plan finds the drift',
      '== 7. apply repairs it',
      '== 8. check',
      '== Done',
    ]) {
      expect(stdout).toContain(title);
    }
    expect(stdout).toContain('Apply complete! 2 created, 0 updated, 0 deleted.');
    expect(stdout).toContain('# (schema "kondado" no longer exists)');
    expect(stdout).toContain('2 destinations checked: 2 ready, 0 failing.');
    expect(await leftovers()).toEqual([]);
    expect(await processesUnder(temp)).toEqual([]);
  });

  it('stops everything it started and removes its files when interrupted halfway', async () => {
    const demo = await startDemo();
    await waitFor(() => demo.output().stdout.includes('== 3. apply'));
    const folder = (await leftovers())[0];
    expect(folder).toMatch(/^pgdest-demo-/);
    expect(await processesUnder(temp)).not.toEqual([]);

    demo.child.kill('SIGINT');
    expect(await demo.exit).toBe(130);
    expect(demo.output().stderr).toContain(
      'pgdest demo: SIGINT; stopping the database and the bastion',
    );
    expect(await leftovers()).toEqual([]);
    expect(await processesUnder(temp)).toEqual([]);
  });

  it('keeps the database and the bastion running with --keep until interrupted, saying what to try', async () => {
    // npx sets npm_command to exec.
    const demo = await startDemo(['--keep'], { npm_command: 'exec' });
    await waitFor(() => demo.output().stdout.includes('== Still running'));
    expect(await processesUnder(temp)).not.toEqual([]);

    // The suggested command works as printed, from any folder; run as the
    // README says, through npx, it starts with npx.
    const suggested = /^ {2}npx pgdest (plan -c \/\S+\/pgdest\.yaml)$/m.exec(demo.output().stdout);
    expect(suggested, demo.output().stdout).not.toBeNull();
    const plan = spawnSync(process.execPath, [bin, ...suggested![1]!.split(' ')], {
      cwd: tmpdir(),
      env: { ...process.env, NO_COLOR: '1' },
      encoding: 'utf8',
    });
    expect(plan.status, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('No changes.');

    demo.child.kill('SIGINT');
    expect(await demo.exit).toBe(130);
    expect(await leftovers()).toEqual([]);
    expect(await processesUnder(temp)).toEqual([]);
  });
});
