import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLabConfig, type LabDestination } from '../support/lab-config.ts';
import {
  loaderDestination as loader,
  readProjectState,
  schemaExists,
} from '../support/lab-project.ts';
import { runCli } from '../support/run-cli.ts';
import { startLab, type Lab } from '../support/start-lab.ts';

const bin = new URL('../../bin/pgdest.js', import.meta.url).pathname;
let lab: Lab;
let env: Record<string, string>;

beforeAll(async () => {
  lab = await startLab();
  await lab.postgres.createRole('loader', { password: 'remote-loader-password', login: true });
  await lab.postgres.query('GRANT CREATE ON DATABASE postgres TO loader');
  await lab.postgres.createDatabase('ops');
  env = {
    LOADER_PASSWORD: 'remote-loader-password',
    STATE_PASSWORD: lab.postgres.superuser.password,
  };
});
afterAll(() => lab?.stop());

/** A project whose state lives in the lab's `ops` database, reached through the bastion. */
async function remoteProject(
  destinations: Record<string, LabDestination>,
  key: string,
): Promise<string> {
  const dir = await mkdtemp(join(lab.dir, 'remote-'));
  await writeLabConfig(lab, destinations, { dir, state: remoteState(key) });
  return dir;
}

function remoteState(key: string) {
  return {
    backend: 'postgres',
    bastion: 'main',
    database: {
      host: lab.postgres.hostFor(lab.bastionPlace),
      port: lab.postgres.port,
      name: 'ops',
      user: lab.postgres.superuser.user,
      password: '${env:STATE_PASSWORD}',
      ssl: 'disable',
    },
    key,
  };
}

function runProcess(dir: string, args: string[]) {
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: dir,
      env: { ...process.env, ...env, HOME: dir },
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('state kept in PostgreSQL behind the bastion', () => {
  it('is shared by two processes applying at once: one waits, and no write is lost', async () => {
    const destinations = Object.fromEntries(
      Array.from({ length: 6 }, (_, i) => [`shared${i}`, loader(`remote_shared_${i}`)]),
    );
    const dirA = await remoteProject(destinations, 'shared');
    const dirB = await remoteProject(destinations, 'shared');
    const [a, b] = await Promise.all([
      runProcess(dirA, ['apply', '--auto-approve', '--lock-timeout', '60s']),
      runProcess(dirB, ['apply', '--auto-approve', '--lock-timeout', '60s']),
    ]);
    expect(a.code, a.output).toBe(0);
    expect(b.code, b.output).toBe(0);
    // The second to get the lock found the first's work done and had nothing left to do.
    expect([a.output, b.output].filter((o) => o.includes('No changes.'))).toHaveLength(1);
    const state = JSON.parse(
      (await runCli(['show', '--format', 'json'], { cwd: dirA, env })).stdout,
    );
    expect(Object.keys(state.destinations).sort()).toEqual(Object.keys(destinations).sort());
  });

  it('refuses a second run without waiting, naming the holder', async () => {
    const dirA = await remoteProject({ held: loader('remote_held') }, 'held');
    const { PassThrough } = await import('node:stream');
    const answer = new PassThrough();
    const first = runCli(['apply'], {
      cwd: dirA,
      env: { ...env, NO_COLOR: '1' },
      stdin: answer,
      tty: true,
    });
    await waitFor(
      async () =>
        (
          await lab.postgres
            .query(
              "SELECT 1 FROM pgdest.locks WHERE key = 'held' AND command IS NOT NULL",
              [],
              'ops',
            )
            .catch(() => ({ rowCount: 0 }))
        ).rowCount === 1,
    );
    const second = await runCli(['plan'], { cwd: dirA, env });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('State is locked');
    expect(second.stderr).toContain('pgdest apply');
    answer.end('yes\n');
    expect((await first).code).toBe(0);
  });

  it('refuses a plan file as stale once another run applied', async () => {
    const dir = await remoteProject({ stale: loader('remote_stale') }, 'stale');
    expect((await runCli(['plan', '-o', 'plan.json'], { cwd: dir, env })).code).toBe(0);
    expect((await runCli(['apply', '--auto-approve'], { cwd: dir, env })).code).toBe(0);
    const applied = await runCli(['apply', 'plan.json'], { cwd: dir, env });
    expect(applied.code).toBe(1);
    expect(applied.stderr).toContain('Error: Saved plan is stale');
  });

  it('migrates from a local file to PostgreSQL and back, keeping lineage and serial', async () => {
    const dir = await mkdtemp(join(lab.dir, 'migrate-'));
    await writeLabConfig(lab, { moved: loader('remote_moved') }, { dir });
    expect((await runCli(['apply', '--auto-approve'], { cwd: dir, env })).code).toBe(0);
    const local = await readProjectState(dir);

    // The team switches the config to PostgreSQL and moves the state there.
    await writeLabConfig(
      lab,
      { moved: loader('remote_moved') },
      { dir, state: remoteState('moved') },
    );
    const up = await runCli(['state', 'migrate', '--from', '.pgdest/state.json'], {
      cwd: dir,
      env,
    });
    expect(up.stderr).toBe('');
    expect(up.stdout).toContain(`Copied state serial ${local.serial} (lineage ${local.lineage})`);
    expect((await runCli(['plan', '--detailed-exitcode'], { cwd: dir, env })).code).toBe(0);
    const remote = JSON.parse(
      (await runCli(['show', '--format', 'json'], { cwd: dir, env })).stdout,
    );
    expect({ lineage: remote.lineage, serial: remote.serial }).toEqual({
      lineage: local.lineage,
      serial: local.serial,
    });

    // And back into a new local file.
    const down = await runCli(['state', 'migrate', '--to', 'back.json'], { cwd: dir, env });
    expect(down.code).toBe(0);
    const back = JSON.parse(await readFile(join(dir, 'back.json'), 'utf8'));
    expect({ lineage: back.lineage, serial: back.serial }).toEqual({
      lineage: local.lineage,
      serial: local.serial,
    });
    expect(await schemaExists(lab, 'remote_moved')).toBe(true);
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
