import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseState } from '../../src/state/parse-state.ts';
import { writeLabConfig, type LabDestination } from '../support/lab-config.ts';
import { runCli } from '../support/run-cli.ts';
import { startLab, type Lab } from '../support/start-lab.ts';

const bin = new URL('../../bin/pgdest.js', import.meta.url).pathname;
const env = { LOADER_PASSWORD: 'crash-test-password' };
let lab: Lab;

beforeAll(async () => {
  lab = await startLab();
  await lab.postgres.createRole('loader', { password: env.LOADER_PASSWORD, login: true });
  await lab.postgres.query('GRANT CREATE ON DATABASE postgres TO loader');
});
afterAll(() => lab?.stop());

describe('an apply killed with SIGKILL', () => {
  it('leaves a state that parses and a backup intact, and the next apply finishes the job', async () => {
    const dir = await mkdtemp(join(lab.dir, 'crash-'));
    const names = Array.from({ length: 12 }, (_, i) => `s${String(i + 1).padStart(2, '0')}`);
    const destinations: Record<string, LabDestination> = Object.fromEntries(
      names.map((name) => [
        name,
        { user: 'loader', passwordEnv: 'LOADER_PASSWORD', schema: `crash_${name}` },
      ]),
    );
    await writeLabConfig(lab, destinations, { dir });
    const statePath = join(dir, '.pgdest/state.json');

    // Another session creates crash_s07 without committing, so that pgdest's
    // CREATE SCHEMA for it waits: the apply is stopped right in its middle.
    const blocker = await lab.postgres.connectAsSuperuser();
    await blocker.query('BEGIN');
    await blocker.query('CREATE SCHEMA crash_s07');

    const child = spawn(process.execPath, [bin, 'apply', '--auto-approve', '--parallelism', '1'], {
      cwd: dir,
      env: { ...process.env, ...env, HOME: dir },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await waitFor(async () => {
      const text = await readFile(statePath, 'utf8').catch(() => '');
      return text !== '' && Object.keys(parseState(text, statePath).destinations).length === 6;
    });
    child.kill('SIGKILL');
    await exited;
    await blocker.query('ROLLBACK');
    await blocker.end();

    const state = parseState(await readFile(statePath, 'utf8'), statePath);
    const backup = parseState(await readFile(`${statePath}.backup`, 'utf8'), `${statePath}.backup`);
    expect(Object.keys(state.destinations)).toEqual(names.slice(0, 6));
    expect(backup.lineage).toBe(state.lineage);
    expect(backup.serial).toBe(state.serial - 1);

    // The dead run's lock does not stop the next one, which does the rest.
    const resumed = await runCli(['apply', '--auto-approve'], { cwd: dir, env });
    expect(resumed.stderr).not.toContain('Error');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('Plan: 6 to create, 0 to update, 0 to delete.');
    expect(Object.keys((await readState(statePath)).destinations)).toEqual(names);
    expect((await runCli(['plan', '--detailed-exitcode'], { cwd: dir, env })).code).toBe(0);
  });
});

async function readState(path: string) {
  return parseState(await readFile(path, 'utf8'), path);
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
