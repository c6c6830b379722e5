import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLabConfig } from '../support/lab-config.ts';
import {
  createLabProject,
  loaderDestination as loader,
  readProjectState,
  schemaExists,
} from '../support/lab-project.ts';
import { runCli } from '../support/run-cli.ts';
import { startLab, type Lab } from '../support/start-lab.ts';

const env = { LOADER_PASSWORD: 'state-commands-password' };
let lab: Lab;

beforeAll(async () => {
  lab = await startLab();
  await lab.postgres.createRole('loader', { password: env.LOADER_PASSWORD, login: true });
  await lab.postgres.query('GRANT CREATE ON DATABASE postgres TO loader');
});
afterAll(() => lab?.stop());

describe('destroy', () => {
  it('forgets destinations with on_delete: forget and drops the schemas of those with drop, after confirmation', async () => {
    const dir = await createLabProject(lab, {
      kept: loader('destroy_kept'),
      gone: loader('destroy_gone', { on_delete: 'drop' }),
    });
    expect((await runCli(['apply', '--auto-approve'], { cwd: dir, env })).code).toBe(0);

    const refused = await runCli(['destroy'], { cwd: dir, env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Error: Destroy needs a confirmation');

    const cancelled = await runCli(['destroy'], {
      cwd: dir,
      env: { ...env, NO_COLOR: '1' },
      tty: true,
      stdin: 'no\n',
    });
    expect(cancelled.code).toBe(1);
    expect(cancelled.stdout).toContain(
      'Destructive changes drop schemas with every table in them.',
    );
    expect(cancelled.stdout).toContain('Destroy cancelled.');
    expect(await schemaExists(lab, 'destroy_gone')).toBe(true);

    const destroyed = await runCli(['destroy'], {
      cwd: dir,
      env: { ...env, NO_COLOR: '1' },
      tty: true,
      stdin: 'yes\n',
    });
    expect(destroyed.code).toBe(0);
    expect(destroyed.stdout).toContain('Plan: 0 to create, 0 to update, 2 to delete.');
    expect(await schemaExists(lab, 'destroy_kept')).toBe(true);
    expect(await schemaExists(lab, 'destroy_gone')).toBe(false);
    expect((await readProjectState(dir)).destinations).toEqual({});
  });
});

describe('targets', () => {
  it('plans and applies only the targeted destinations, and refuses an unknown one', async () => {
    const dir = await createLabProject(lab, {
      one: loader('target_one'),
      two: loader('target_two'),
    });
    const applied = await runCli(['apply', '--auto-approve', '--target', 'destination.one'], {
      cwd: dir,
      env,
    });
    expect(applied.code).toBe(0);
    expect(Object.keys((await readProjectState(dir)).destinations)).toEqual(['one']);
    expect(await schemaExists(lab, 'target_two')).toBe(false);

    const unknown = await runCli(['plan', '--target', 'tow'], { cwd: dir, env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Error: Unknown target "tow"');
    expect(unknown.stderr).toContain('Did you mean "two"?');
  });
});

describe('state by hand', () => {
  it('lists, shows and removes entries without touching the databases', async () => {
    const dir = await createLabProject(lab, {
      alpha: loader('state_alpha'),
      beta: loader('state_beta'),
    });
    expect((await runCli(['apply', '--auto-approve'], { cwd: dir, env })).code).toBe(0);

    expect((await runCli(['state', 'list'], { cwd: dir, env })).stdout).toBe(
      'destination.alpha\ndestination.beta\n',
    );
    const shown = await runCli(['state', 'show', 'alpha'], { cwd: dir, env });
    expect(shown.stdout).toContain('# destination.alpha');
    expect(shown.stdout).toMatch(/effective_schema += state_alpha/);

    const removed = await runCli(['state', 'rm', 'destination.beta'], { cwd: dir, env });
    expect(removed.stdout).toBe(
      'Removed destination.beta from state; its database is unchanged.\n',
    );
    expect(Object.keys((await readProjectState(dir)).destinations)).toEqual(['alpha']);
    expect(await schemaExists(lab, 'state_beta')).toBe(true);

    const missing = await runCli(['state', 'show', 'bta'], { cwd: dir, env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Error: destination.bta is not in state');

    // The config still declares beta: the next plan picks it up again, with nothing to create.
    const replanned = await runCli(['plan'], { cwd: dir, env });
    expect(replanned.stdout).toContain(
      '# (schema "state_beta" is ready; pgdest starts tracking it)',
    );
  });

  it('clears a lock that a dead run left, after asking', async () => {
    const dir = await createLabProject(lab, { locked: loader('state_locked') });
    const { writeFile, mkdir } = await import('node:fs/promises');
    await mkdir(`${dir}/.pgdest`, { recursive: true });
    const holder = {
      id: 'x',
      host: 'ci-runner-7',
      pid: 4242,
      command: 'pgdest apply',
      since: '2026-12-01T10:00:00.000Z',
    };
    await writeFile(`${dir}/.pgdest/state.json.lock`, JSON.stringify(holder));

    const blocked = await runCli(['plan'], { cwd: dir, env });
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain('State is locked');
    expect(blocked.stderr).toContain('ci-runner-7');

    expect((await runCli(['state', 'unlock'], { cwd: dir, env })).stderr).toContain(
      'Unlock needs a confirmation',
    );
    const unlocked = await runCli(['state', 'unlock', '--force'], { cwd: dir, env });
    expect(unlocked.stdout).toBe(
      'Removed the lock of pgdest apply (process 4242 on ci-runner-7, since 2026-12-01T10:00:00.000Z).\n',
    );
    expect((await runCli(['plan'], { cwd: dir, env })).code).toBe(0);
  });
});

describe('the config as it changes', () => {
  it('updates a destination whose schema was renamed, leaving the old schema alone', async () => {
    const dir = await createLabProject(lab, { moving: loader('moving_old') });
    expect((await runCli(['apply', '--auto-approve'], { cwd: dir, env })).code).toBe(0);
    await writeLabConfig(lab, { moving: loader('moving_new') }, { dir });
    const planned = await runCli(['plan'], { cwd: dir, env });
    expect(planned.stdout).toContain('~ schema           = "moving_old" -> "moving_new"');
    expect((await runCli(['apply', '--auto-approve'], { cwd: dir, env })).code).toBe(0);
    expect(await schemaExists(lab, 'moving_new')).toBe(true);
    expect(await schemaExists(lab, 'moving_old')).toBe(true);
  });
});
