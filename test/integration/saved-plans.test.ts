import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schemaProblems } from '../support/json-schemas.ts';
import { writeLabConfig } from '../support/lab-config.ts';
import {
  createLabProject,
  loaderDestination as loader,
  schemaExists,
} from '../support/lab-project.ts';
import { runCli } from '../support/run-cli.ts';
import { startLab, type Lab } from '../support/start-lab.ts';

const canary = 'canary-plan-password-0c47d2';
const env = { LOADER_PASSWORD: canary };
let lab: Lab;

beforeAll(async () => {
  lab = await startLab();
  await lab.postgres.createRole('loader', { password: canary, login: true });
  await lab.postgres.query('GRANT CREATE ON DATABASE postgres TO loader');
});
afterAll(() => lab?.stop());

describe('a saved plan', () => {
  it('is written with mode 0600 and applied exactly, then refused as stale when applied again', async () => {
    const dir = await createLabProject(lab, { warehouse: loader('saved_wh') });
    const planned = await runCli(['plan', '-o', 'plan.json'], { cwd: dir, env });
    expect(planned.code).toBe(0);
    expect(planned.stderr).toContain(
      'Saved the plan to plan.json. Apply exactly this plan with: pgdest apply plan.json',
    );
    expect((await stat(join(dir, 'plan.json'))).mode & 0o777).toBe(0o600);
    const document = JSON.parse(await readFile(join(dir, 'plan.json'), 'utf8'));
    expect(schemaProblems('plan.schema.json', document)).toEqual([]);
    expect(document).toMatchObject({
      format_version: 1,
      prior_state: null,
      has_changes: true,
      destinations: [{ address: 'destination.warehouse', action: 'create', status: 'new' }],
    });

    const applied = await runCli(['apply', 'plan.json'], { cwd: dir, env });
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('destination.warehouse: created');
    expect(await schemaExists(lab, 'saved_wh')).toBe(true);

    const again = await runCli(['apply', 'plan.json'], { cwd: dir, env });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('Error: Saved plan is stale');
    expect(again.stderr).toContain(
      'plan.json was made against no state at all, and the state is now serial 1',
    );
  });

  it('is refused when the configuration changed since', async () => {
    const dir = await createLabProject(lab, { warehouse: loader('saved_cfg') });
    expect((await runCli(['plan', '-o', 'plan.json'], { cwd: dir, env })).code).toBe(0);
    await writeLabConfig(lab, { warehouse: loader('saved_cfg_renamed') }, { dir });
    const applied = await runCli(['apply', 'plan.json'], { cwd: dir, env });
    expect(applied.code).toBe(1);
    expect(applied.stderr).toContain('Error: Saved plan does not match the configuration');
    expect(await schemaExists(lab, 'saved_cfg')).toBe(false);
    expect(await schemaExists(lab, 'saved_cfg_renamed')).toBe(false);
  });

  it('still applies correctly when the schema it repairs is dropped again by hand', async () => {
    const dir = await createLabProject(lab, { warehouse: loader('saved_drift') });
    expect((await runCli(['apply', '--auto-approve'], { cwd: dir, env })).code).toBe(0);
    await lab.postgres.query('DROP SCHEMA saved_drift');
    expect((await runCli(['plan', '-o', 'repair.json'], { cwd: dir, env })).code).toBe(0);
    // Someone repairs it by hand, then drops it again: the saved step is still right.
    const applied = await runCli(['apply', 'repair.json'], { cwd: dir, env });
    expect(applied.code).toBe(0);
    expect(await schemaExists(lab, 'saved_drift')).toBe(true);
  });

  it('is refused, with what changed, when the database changed so that its steps would be wrong', async () => {
    const dir = await createLabProject(lab, { warehouse: loader('saved_wrong') });
    expect((await runCli(['apply', '--auto-approve'], { cwd: dir, env })).code).toBe(0);
    // The saved plan repairs nothing; then the schema is dropped behind pgdest's back.
    await writeLabConfig(
      lab,
      { warehouse: loader('saved_wrong', { privileges: ['INSERT', 'SELECT', 'CREATE'] }) },
      { dir },
    );
    expect((await runCli(['plan', '-o', 'plan.json'], { cwd: dir, env })).code).toBe(0);
    await lab.postgres.query('DROP SCHEMA saved_wrong');

    const applied = await runCli(['apply', 'plan.json'], { cwd: dir, env });
    expect(applied.code).toBe(1);
    expect(applied.stderr).toContain('Error: Saved plan no longer fits the databases');
    expect(applied.stderr).toContain(
      'destination.warehouse: it now needs CREATE SCHEMA "saved_wrong", which the saved plan does not show.',
    );
    expect(applied.stderr).toContain('Nothing was applied.');
    expect(await schemaExists(lab, 'saved_wrong')).toBe(false);
  });

  it('applies a plan made when the schema was missing, once someone created it meanwhile', async () => {
    const dir = await createLabProject(lab, { warehouse: loader('saved_meanwhile') });
    expect((await runCli(['plan', '-o', 'plan.json'], { cwd: dir, env })).code).toBe(0);
    await lab.postgres.query('CREATE SCHEMA saved_meanwhile AUTHORIZATION loader');
    const applied = await runCli(['apply', 'plan.json', '-v'], { cwd: dir, env });
    expect(applied.stderr).not.toContain('Error');
    expect(applied.code).toBe(0);
    expect((await runCli(['plan', '--detailed-exitcode'], { cwd: dir, env })).code).toBe(0);
  });

  it('prints as a person reads it with show', async () => {
    const dir = await createLabProject(lab, { warehouse: loader('saved_show') });
    await runCli(['plan', '-o', 'plan.json'], { cwd: dir, env });
    const shown = await runCli(['show', 'plan.json'], { cwd: dir, env });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^# Saved plan made \S+ by pgdest \S+, against no state\./);
    expect(shown.stdout).toContain('CREATE SCHEMA "saved_show";');
    const json = await runCli(['show', 'plan.json', '--format', 'json'], { cwd: dir, env });
    expect(JSON.parse(json.stdout)).toEqual(
      JSON.parse(await readFile(join(dir, 'plan.json'), 'utf8')),
    );
  });

  it('refuses a file that is not a plan', async () => {
    const dir = await createLabProject(lab, { warehouse: loader('saved_bogus') });
    await writeFile(join(dir, 'bogus.json'), '{"format_version": 9}');
    const applied = await runCli(['apply', 'bogus.json'], { cwd: dir, env });
    expect(applied.code).toBe(1);
    expect(applied.stderr).toContain('Error: Not a pgdest plan file');
  });
});

describe('machine-readable output', () => {
  it('prints JSON documents that match their schemas, and no canary secret in any format', async () => {
    const dir = await createLabProject(lab, {
      warehouse: loader('json_wh'),
      events: loader('json_ev'),
    });
    const outputs: string[] = [];
    const run = async (args: string[]) => {
      const result = await runCli(args, { cwd: dir, env });
      outputs.push(result.stdout, result.stderr);
      return result;
    };

    const validate = await run(['validate', '--format', 'json']);
    expect(schemaProblems('validate.schema.json', JSON.parse(validate.stdout))).toEqual([]);
    const plan = await run(['plan', '--format', 'json', '-o', 'plan.json', '-v']);
    expect(schemaProblems('plan.schema.json', JSON.parse(plan.stdout))).toEqual([]);
    expect(JSON.parse(plan.stdout)).toEqual(
      JSON.parse(await readFile(join(dir, 'plan.json'), 'utf8')),
    );
    await run(['plan', '--format', 'markdown']);
    const apply = await run(['apply', '--auto-approve', '--format', 'json']);
    expect(apply.code).toBe(0);
    const applied = JSON.parse(apply.stdout);
    expect(schemaProblems('apply.schema.json', applied)).toEqual([]);
    expect(applied.applied.map((a: { address: string }) => a.address)).toEqual([
      'destination.events',
      'destination.warehouse',
    ]);
    const show = await run(['show', '--format', 'json']);
    expect(schemaProblems('state.schema.json', JSON.parse(show.stdout))).toEqual([]);
    const showPlan = await run(['show', 'plan.json', '--format', 'json']);
    expect(schemaProblems('plan.schema.json', JSON.parse(showPlan.stdout))).toEqual([]);

    outputs.push(
      await readFile(join(dir, 'plan.json'), 'utf8'),
      await readFile(join(dir, '.pgdest/state.json'), 'utf8'),
    );
    for (const text of outputs) expect(text).not.toContain(canary);
  });

  it('tells drift apart from an unreachable destination in the JSON plan', async () => {
    const dir = await createLabProject(lab, {
      drifted: loader('json_drift'),
      gone: loader('json_gone'),
    });
    expect((await runCli(['apply', '--auto-approve'], { cwd: dir, env })).code).toBe(0);
    await lab.postgres.query('DROP SCHEMA json_drift');
    const config = await readFile(join(dir, 'pgdest.yaml'), 'utf8');
    await writeFile(join(dir, 'pgdest.yaml'), config.replace(/(gone:[\s\S]*?port: )\d+/, '$11'));

    const planned = await runCli(['plan', '--format', 'json', '--detailed-exitcode'], {
      cwd: dir,
      env,
    });
    expect(planned.code).toBe(1);
    const document = JSON.parse(planned.stdout);
    expect(schemaProblems('plan.schema.json', document)).toEqual([]);
    expect(document.destinations).toEqual([
      { address: 'destination.drifted', name: 'drifted', action: 'update', status: 'drift' },
      { address: 'destination.gone', name: 'gone', action: null, status: 'unreachable' },
    ]);
  });

  it('tells missing privileges apart from a refused login in the JSON plan', async () => {
    // A loader without CREATE on the database, in PostgreSQL 15 where public
    // is not writable either, and without USAGE on a schema someone else made.
    await lab.postgres.createRole('bare_loader', { password: canary, login: true });
    await lab.postgres.query('CREATE SCHEMA json_locked');
    const wrongPassword = 'wrong-plan-password-5e91aa';
    const dir = await createLabProject(lab, {
      fine: loader('json_fine'),
      locked: { user: 'bare_loader', passwordEnv: 'LOADER_PASSWORD', schema: 'json_locked' },
      nocreate: { user: 'bare_loader', passwordEnv: 'LOADER_PASSWORD', schema: 'json_nocreate' },
      refused: loader('json_refused', { passwordEnv: 'WRONG_PASSWORD' }),
    });

    const planned = await runCli(['plan', '--format', 'json', '--detailed-exitcode'], {
      cwd: dir,
      env: { ...env, WRONG_PASSWORD: wrongPassword },
    });
    expect(planned.code).toBe(1);
    const document = JSON.parse(planned.stdout);
    expect(schemaProblems('plan.schema.json', document)).toEqual([]);
    expect(document.destinations).toEqual([
      { address: 'destination.fine', name: 'fine', action: 'create', status: 'new' },
      { address: 'destination.locked', name: 'locked', action: null, status: 'missing-privileges' },
      {
        address: 'destination.nocreate',
        name: 'nocreate',
        action: null,
        status: 'missing-privileges',
      },
      { address: 'destination.refused', name: 'refused', action: null, status: 'login-refused' },
    ]);
    // Each status comes with the error that says what to do about it.
    const summaries = (address: string) =>
      document.diagnostics
        .filter((d: { address?: string }) => d.address === address)
        .map((d: { summary: string; code?: string }) => [d.code, d.summary]);
    expect(summaries('destination.locked')).toEqual([
      ['missing-privileges', 'bare_loader lacks USAGE on schema "json_locked"'],
      ['missing-privileges', 'bare_loader lacks CREATE on schema "json_locked"'],
    ]);
    expect(summaries('destination.nocreate')).toEqual([
      ['missing-privileges', 'Cannot fall back to public'],
    ]);
    expect(summaries('destination.refused')).toEqual([
      ['login-refused', expect.stringMatching(/^PostgreSQL refused the login of loader to /)],
    ]);
    expect(planned.stdout + planned.stderr).not.toContain(wrongPassword);
    expect(planned.stdout + planned.stderr).not.toContain(canary);
  });
});
