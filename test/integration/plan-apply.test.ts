import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
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

const canary = 'canary-loader-password-5f1c9e';
const env = { LOADER_PASSWORD: canary };
let lab: Lab;

beforeAll(async () => {
  lab = await startLab();
  // loader may create schemas; restricted may only write into public; locked may do neither.
  await lab.postgres.createRole('loader', { password: canary, login: true });
  await lab.postgres.query('GRANT CREATE ON DATABASE postgres TO loader');
  await lab.postgres.createRole('restricted', { password: canary, login: true });
  await lab.postgres.query('GRANT CREATE ON SCHEMA public TO restricted');
  await lab.postgres.createRole('locked', { password: canary, login: true });
});
afterAll(() => lab?.stop());

describe('plan and apply through a real bastion', () => {
  it('creates a schema, then plans no changes, then repairs the schema dropped behind its back', async () => {
    const dir = await createLabProject(lab, { warehouse: loader('kondado') });

    const first = await runCli(['plan', '--detailed-exitcode'], { cwd: dir, env });
    expect(first.code).toBe(2);
    expect(first.stdout).toContain('# destination.warehouse will be created');
    expect(first.stdout).toContain('CREATE SCHEMA "kondado";');
    expect(first.stdout).toContain('Plan: 1 to create, 0 to update, 0 to delete.');
    expect(await schemaExists(lab, 'kondado')).toBe(false);

    const applied = await runCli(['apply', '--auto-approve'], { cwd: dir, env });
    expect(applied.stderr).not.toContain('Error');
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('destination.warehouse: created');
    // Progress goes to standard error as plain lines when it is not a terminal.
    expect(applied.stderr).toMatch(/^✓ destination\.warehouse inspected in \d+\.\d s$/m);
    expect(applied.stderr).toMatch(/^✓ destination\.warehouse applied in \d+\.\d s$/m);
    expect(applied.stdout).not.toContain('inspected in');
    expect(await schemaExists(lab, 'kondado')).toBe(true);

    const second = await runCli(['plan', '--detailed-exitcode'], { cwd: dir, env });
    expect(second).toMatchObject({
      code: 0,
      stdout: 'No changes. The destinations match the configuration.\n',
    });

    await lab.postgres.query('DROP SCHEMA kondado');
    const drift = await runCli(['plan', '--detailed-exitcode'], { cwd: dir, env });
    expect(drift.code).toBe(2);
    expect(drift.stdout).toContain('# destination.warehouse will be updated in place');
    expect(drift.stdout).toContain('# (schema "kondado" no longer exists)');

    const repaired = await runCli(['apply', '--auto-approve'], { cwd: dir, env });
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toContain('destination.warehouse: updated');
    expect(await schemaExists(lab, 'kondado')).toBe(true);
    expect((await runCli(['plan', '--detailed-exitcode'], { cwd: dir, env })).code).toBe(0);
  });

  it('predicts the fallback to public for a loader that may not create its schema, and records it', async () => {
    const dir = await createLabProject(lab, {
      events: { user: 'restricted', passwordEnv: 'LOADER_PASSWORD', schema: 'events_raw' },
    });

    const planned = await runCli(['plan'], { cwd: dir, env });
    expect(planned.code).toBe(0);
    expect(planned.stdout).toContain('+ effective_schema = "public"');
    expect(planned.stdout).toContain('# warning: Falling back to schema public');
    expect(planned.stderr).toContain(
      'Schema "events_raw" does not exist, and restricted may not create it: it lacks CREATE on database "postgres".',
    );

    const applied = await runCli(['apply', '--auto-approve'], { cwd: dir, env });
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain(
      'destination.events: created (writes into public, the fallback)',
    );
    expect(await schemaExists(lab, 'events_raw')).toBe(false);
    expect((await readProjectState(dir)).destinations.events!.schema).toEqual({
      requested: 'events_raw',
      effective: 'public',
      fallback: true,
    });
    expect((await runCli(['plan', '--detailed-exitcode'], { cwd: dir, env })).code).toBe(0);
  });

  it('falls back to public at apply time when creating the schema is refused after planning, saying so', async () => {
    await lab.postgres.createRole('late', { password: canary, login: true });
    await lab.postgres.query('GRANT CREATE ON DATABASE postgres TO late');
    await lab.postgres.query('GRANT CREATE ON SCHEMA public TO late');
    const dir = await createLabProject(lab, {
      late: { user: 'late', passwordEnv: 'LOADER_PASSWORD', schema: 'late_raw' },
    });
    const answer = new PassThrough();
    let prompted = false;
    const applying = runCli(['apply'], {
      cwd: dir,
      env: { ...env, NO_COLOR: '1' },
      stdin: answer,
      tty: true,
      onStdout: (text) => (prompted = text.includes('Enter a value')),
    });
    // The plan said the loader may create its schema; the grant goes away before yes.
    await waitFor(async () => prompted);
    await lab.postgres.query('REVOKE CREATE ON DATABASE postgres FROM late');
    answer.end('yes\n');

    const applied = await applying;
    expect(applied.stdout).toContain('CREATE SCHEMA "late_raw";');
    expect(applied.code).toBe(0);
    expect(applied.stderr).toContain('Warning: Fell back to schema public');
    expect(applied.stdout).toContain(
      'destination.late: created (writes into public, the fallback)',
    );
    expect(await schemaExists(lab, 'late_raw')).toBe(false);
    expect((await readProjectState(dir)).destinations.late!.schema).toEqual({
      requested: 'late_raw',
      effective: 'public',
      fallback: true,
    });
  });

  it('creates the schemas of destinations that share a database and a login in one transaction', async () => {
    const schemas = ['together_a', 'together_b', 'together_c'];
    const dir = await createLabProject(
      lab,
      Object.fromEntries(schemas.map((schema) => [schema, loader(schema)])),
    );

    const applied = await runCli(['apply', '--auto-approve'], { cwd: dir, env });
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('Apply complete! 3 created');
    // One transaction, so one round trip: the three rows share the id that wrote them.
    const writers = await lab.postgres.query<{ n: number }>(
      'SELECT count(DISTINCT xmin::text)::int AS n FROM pg_namespace WHERE nspname = ANY($1)',
      [schemas],
    );
    expect(writers.rows[0]!.n).toBe(1);
    expect(Object.keys((await readProjectState(dir)).destinations).sort()).toEqual(schemas);
  });

  it('still applies the others of a database when one schema was created by hand after planning', async () => {
    const schemas = ['hand_a', 'hand_b', 'hand_c'];
    const dir = await createLabProject(
      lab,
      Object.fromEntries(schemas.map((schema) => [schema, loader(schema)])),
    );
    const answer = new PassThrough();
    let prompted = false;
    const applying = runCli(['apply'], {
      cwd: dir,
      env: { ...env, NO_COLOR: '1' },
      stdin: answer,
      tty: true,
      onStdout: (text) => (prompted = text.includes('Enter a value')),
    });
    // Planned as three creations; one schema appears before yes, so the
    // statements sent together fail, and each destination is applied alone.
    await waitFor(async () => prompted);
    await lab.postgres.query('CREATE SCHEMA hand_b AUTHORIZATION loader');
    answer.end('yes\n');

    const applied = await applying;
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('Apply complete! 3 created');
    for (const schema of schemas) expect(await schemaExists(lab, schema)).toBe(true);
    expect(Object.keys((await readProjectState(dir)).destinations).sort()).toEqual(schemas);
    expect((await runCli(['plan', '--detailed-exitcode'], { cwd: dir, env })).code).toBe(0);
  });

  it('refuses to plan when public is not writable either, saying why and what to grant', async () => {
    const dir = await createLabProject(lab, {
      billing: { user: 'locked', passwordEnv: 'LOADER_PASSWORD', schema: 'billing_raw' },
    });
    const planned = await runCli(['plan'], { cwd: dir, env });
    expect(planned.code).toBe(1);
    expect(planned.stderr).toContain('Error: Cannot fall back to public');
    expect(planned.stderr).toContain(
      'PostgreSQL 15 and later no longer let every role create in public',
    );
    expect(planned.stderr).toContain('GRANT CREATE ON DATABASE "postgres" TO "locked";');
    expect(planned.stdout).toContain('1 destination could not be planned: destination.billing.');
  });

  it('refuses the fallback when schema_fallback is none', async () => {
    const dir = await createLabProject(lab, {
      ledger: {
        user: 'restricted',
        passwordEnv: 'LOADER_PASSWORD',
        schema: 'ledger',
        schema_fallback: 'none',
      },
    });
    const planned = await runCli(['apply', '--auto-approve'], { cwd: dir, env });
    expect(planned.code).toBe(1);
    expect(planned.stderr).toContain('Error: Schema "ledger" cannot be created');
    expect(planned.stderr).toContain('schema_fallback: none forbids falling back to public.');
    expect(await schemaExists(lab, 'ledger')).toBe(false);
  });

  it('forgets a removed destination with on_delete: forget and drops the schema with on_delete: drop', async () => {
    const dir = await createLabProject(lab, {
      kept: loader('kept_schema'),
      dropped: loader('dropped_schema', { on_delete: 'drop' }),
    });
    expect((await runCli(['apply', '--auto-approve'], { cwd: dir, env })).code).toBe(0);
    await lab.postgres.query('CREATE TABLE dropped_schema.rows (id int)');

    await writeLabConfig(lab, {}, { dir });
    const planned = await runCli(['plan'], { cwd: dir, env });
    expect(planned.stdout).toContain('# destination.kept will be deleted');
    expect(planned.stdout).toContain('DROP SCHEMA IF EXISTS "dropped_schema" CASCADE;');
    expect(planned.stdout).toContain('1 destructive change');

    const applied = await runCli(['apply', '--auto-approve'], { cwd: dir, env });
    expect(applied.code).toBe(0);
    expect(await schemaExists(lab, 'kept_schema')).toBe(true);
    expect(await schemaExists(lab, 'dropped_schema')).toBe(false);
    expect((await readProjectState(dir)).destinations).toEqual({});
  });

  it('applies and records the reachable destinations when one of three is unreachable, and exits 1', async () => {
    const dir = await createLabProject(lab, {
      alpha: loader('alpha'),
      beta: loader('beta'),
      gamma: loader('gamma'),
    });
    const config = await readFile(join(dir, 'pgdest.yaml'), 'utf8');
    // gamma's database port is closed: the bastion cannot reach it.
    const broken = config.replace(/(gamma:[\s\S]*?port: )\d+/, '$11');
    await (await import('node:fs/promises')).writeFile(join(dir, 'pgdest.yaml'), broken);

    const applied = await runCli(['apply', '--auto-approve'], { cwd: dir, env });
    expect(applied.code).toBe(1);
    expect(applied.stderr).toContain('destination.gamma');
    expect(applied.stdout).toContain('destination.alpha: created');
    expect(applied.stdout).toContain('destination.beta: created');
    expect(Object.keys((await readProjectState(dir)).destinations).sort()).toEqual([
      'alpha',
      'beta',
    ]);
  });

  it('makes a second apply wait for the lock, then refuse naming the holder', async () => {
    const dir = await createLabProject(lab, { locking: loader('locking_schema') });
    const answer = new PassThrough();
    const first = runCli(['apply'], { cwd: dir, env, stdin: answer, tty: true });
    // The first apply holds the lock while it waits for yes.
    await waitFor(
      async () =>
        (await stat(join(dir, '.pgdest/state.json.lock')).catch(() => undefined)) !== undefined,
    );

    const started = Date.now();
    const second = await runCli(['apply', '--auto-approve', '--lock-timeout', '1s'], {
      cwd: dir,
      env,
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('State is locked');
    expect(second.stderr).toContain('pgdest apply');
    expect(second.stderr).toContain(`process ${process.pid}`);

    answer.end('yes\n');
    expect((await first).code).toBe(0);
    expect(await schemaExists(lab, 'locking_schema')).toBe(true);
  });

  it('keeps every canary secret out of the state and the output', async () => {
    const dir = await createLabProject(lab, { secretive: loader('secretive') });
    const outputs = [
      await runCli(['plan', '-v'], { cwd: dir, env }),
      await runCli(['apply', '--auto-approve', '-v'], { cwd: dir, env }),
      await runCli(['show', '--format', 'json'], { cwd: dir, env }),
    ];
    const state = await readFile(join(dir, '.pgdest/state.json'), 'utf8');
    for (const text of [state, ...outputs.flatMap((o) => [o.stdout, o.stderr])])
      expect(text).not.toContain(canary);
    expect(state).toContain('"password_from": "env:LOADER_PASSWORD"');
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
