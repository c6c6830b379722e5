import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schemaProblems } from '../support/json-schemas.ts';
import type { LabDestination } from '../support/lab-config.ts';
import { createLabProject } from '../support/lab-project.ts';
import { runCli } from '../support/run-cli.ts';
import { findSecrets } from '../support/secret-canary.ts';
import { startLab, type Lab } from '../support/start-lab.ts';

const bin = new URL('../../bin/pgdest.js', import.meta.url).pathname;
const loaderPassword = 'canary-new-loader-password-71b2';
let lab: Lab;
let env: Record<string, string>;

beforeAll(async () => {
  lab = await startLab();
  env = { LOADER_PASSWORD: loaderPassword, ADMIN_PASSWORD: lab.postgres.superuser.password };
});
afterAll(() => lab?.stop());

const admin = { user: 'postgres', passwordEnv: 'ADMIN_PASSWORD' };
const managed = (user: string, schema: string): LabDestination => ({
  user,
  passwordEnv: 'LOADER_PASSWORD',
  schema,
  admin,
});

async function ownerOf(schema: string): Promise<string | undefined> {
  const result = await lab.postgres.query<{ owner: string }>(
    'SELECT pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = $1',
    [schema],
  );
  return result.rows[0]?.owner;
}

describe('a destination with an admin login', () => {
  it('creates the loader role and its schema, repairs a revoked grant, then plans no changes', async () => {
    const dir = await createLabProject(lab, { crm: managed('crm_loader', 'crm_raw') });

    const planned = await runCli(['plan'], { cwd: dir, env });
    expect(planned.code).toBe(0);
    expect(planned.stdout).toContain(
      'CREATE ROLE "crm_loader" LOGIN PASSWORD (sensitive); -- as admin',
    );
    expect(planned.stdout).toContain(
      'CREATE SCHEMA "crm_raw" AUTHORIZATION "crm_loader"; -- as admin',
    );

    const applied = await runCli(['apply', '--auto-approve'], { cwd: dir, env });
    expect(applied.stderr).not.toContain('Error');
    expect(applied.code).toBe(0);
    expect(await ownerOf('crm_raw')).toBe('crm_loader');

    // The new role logs in with the configured password: a plan as the loader alone works.
    const asLoader = await createLabProject(lab, {
      crm: { user: 'crm_loader', passwordEnv: 'LOADER_PASSWORD', schema: 'crm_raw' },
    });
    expect((await runCli(['plan'], { cwd: asLoader, env })).code).toBe(0);

    expect(await runCli(['plan', '--detailed-exitcode'], { cwd: dir, env })).toMatchObject({
      code: 0,
      stdout: 'No changes. The destinations match the configuration.\n',
    });

    await lab.postgres.query('REVOKE CREATE ON DATABASE postgres FROM crm_loader');
    await lab.postgres.query('ALTER SCHEMA crm_raw OWNER TO postgres');
    const drift = await runCli(['plan', '--detailed-exitcode'], { cwd: dir, env });
    expect(drift.code).toBe(2);
    expect(drift.stdout).toContain('# (crm_loader lacks CREATE on database "postgres")');
    expect(drift.stdout).toContain('# (crm_loader lacks USAGE on schema "crm_raw")');
    expect(drift.stdout).toContain('GRANT USAGE ON SCHEMA "crm_raw" TO "crm_loader"; -- as admin');

    expect((await runCli(['apply', '--auto-approve'], { cwd: dir, env })).code).toBe(0);
    expect(await runCli(['plan', '--detailed-exitcode'], { cwd: dir, env })).toMatchObject({
      code: 0,
    });

    // The repaired grants let the loader write again.
    expect(await runCli(['check'], { cwd: dir, env })).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('1 destination checked: 1 ready, 0 failing.'),
    });
  });

  it('creates a loader that three schemas share once, and the loader can write into all three', async () => {
    const dir = await createLabProject(lab, {
      sales: managed('shared_loader', 'sales_raw'),
      ads: managed('shared_loader', 'ads_raw'),
      crm: managed('shared_loader', 'crm_shared_raw'),
    });

    const planned = await runCli(['plan'], { cwd: dir, env });
    expect(planned.code).toBe(0);
    expect(planned.stdout.split('CREATE ROLE "shared_loader"')).toHaveLength(2);
    expect(planned.stdout.split('GRANT CONNECT ON DATABASE "postgres"')).toHaveLength(2);
    expect(planned.stdout).toContain('Plan: 3 to create, 0 to update, 0 to delete.');

    const applied = await runCli(['apply', '--auto-approve'], { cwd: dir, env });
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout).toContain('Apply complete! 3 created');
    const roles = await lab.postgres.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_roles WHERE rolname = 'shared_loader'",
    );
    expect(roles.rows[0]!.n).toBe(1);
    for (const schema of ['sales_raw', 'ads_raw', 'crm_shared_raw'])
      expect(await ownerOf(schema)).toBe('shared_loader');

    expect(await runCli(['plan', '--detailed-exitcode'], { cwd: dir, env })).toMatchObject({
      code: 0,
      stdout: 'No changes. The destinations match the configuration.\n',
    });
    expect(await runCli(['check'], { cwd: dir, env })).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('3 destinations checked: 3 ready, 0 failing.'),
    });
  });

  it('creates a loader shared by two databases once, before the destination of the second needs it', async () => {
    await lab.postgres.createDatabase('split_south');
    const dir = await createLabProject(lab, {
      north: managed('split_loader', 'north_raw'),
      south: { ...managed('split_loader', 'south_raw'), database: 'split_south' },
    });
    const planned = await runCli(['plan'], { cwd: dir, env });
    expect(planned.stdout.split('CREATE ROLE "split_loader"')).toHaveLength(2);
    expect(planned.stdout).toContain('GRANT CONNECT ON DATABASE "split_south" TO "split_loader"');

    const applied = await runCli(['apply', '--auto-approve'], { cwd: dir, env });
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout).toContain('Apply complete! 2 created');
    expect(await runCli(['check'], { cwd: dir, env })).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('2 destinations checked: 2 ready, 0 failing.'),
    });
  });

  it('gives a loader that may not log in LOGIN back, and says what to run without an admin', async () => {
    const dir = await createLabProject(lab, { ops: managed('sleepy_loader', 'ops_raw') });
    expect((await runCli(['apply', '--auto-approve'], { cwd: dir, env })).code).toBe(0);
    await lab.postgres.query('ALTER ROLE sleepy_loader NOLOGIN');

    const withoutAdmin = await createLabProject(lab, {
      ops: { user: 'sleepy_loader', passwordEnv: 'LOADER_PASSWORD', schema: 'ops_raw' },
    });
    const refused = await runCli(['plan'], { cwd: withoutAdmin, env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('ALTER ROLE "sleepy_loader" LOGIN');

    const drift = await runCli(['plan', '--detailed-exitcode'], { cwd: dir, env });
    expect(drift.code).toBe(2);
    expect(drift.stdout).toContain('destination.ops will be updated in place');
    expect(drift.stdout).toContain('# (role "sleepy_loader" may not log in (NOLOGIN))');
    expect(drift.stdout).toContain('ALTER ROLE "sleepy_loader" LOGIN; -- as admin');

    expect((await runCli(['apply', '--auto-approve'], { cwd: dir, env })).code).toBe(0);
    const role = await lab.postgres.query<{ rolcanlogin: boolean }>(
      "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'sleepy_loader'",
    );
    expect(role.rows[0]!.rolcanlogin).toBe(true);
    expect(await runCli(['plan', '--detailed-exitcode'], { cwd: dir, env })).toMatchObject({
      code: 0,
    });
    expect((await runCli(['check'], { cwd: dir, env })).code).toBe(0);
  });

  it('saves a plan that creates the loader role without its password, and applies it from the config', async () => {
    const dir = await createLabProject(lab, { vault: managed('vault_loader', 'vault_raw') });
    const secrets = [loaderPassword, lab.postgres.superuser.password];
    const createRole = 'CREATE ROLE "vault_loader" LOGIN PASSWORD (sensitive); -- as admin';

    const saved = await runCli(['plan', '-o', 'plan.json'], { cwd: dir, env });
    expect(saved.code).toBe(0);
    expect((await stat(join(dir, 'plan.json'))).mode & 0o777).toBe(0o600);
    const file = await readFile(join(dir, 'plan.json'), 'utf8');
    const document = JSON.parse(file);
    expect(schemaProblems('plan.schema.json', document)).toEqual([]);
    expect(document.changes[0].steps[0]).toMatchObject({
      kind: 'create-role',
      as: 'admin',
      role: 'vault_loader',
      with_password: true,
      sql: 'CREATE ROLE "vault_loader" LOGIN PASSWORD (sensitive)',
    });

    const json = await runCli(['plan', '--format', 'json'], { cwd: dir, env });
    expect(json.code).toBe(0);
    expect(schemaProblems('plan.schema.json', JSON.parse(json.stdout))).toEqual([]);
    expect(json.stdout).toContain('PASSWORD (sensitive)');
    const markdown = await runCli(['plan', '--format', 'markdown'], { cwd: dir, env });
    expect(markdown.code).toBe(0);
    expect(markdown.stdout).toContain('PASSWORD (sensitive)');
    const shown = await runCli(['show', 'plan.json'], { cwd: dir, env });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(createRole);

    const outputs = [saved, json, markdown, shown].flatMap((r) => [r.stdout, r.stderr]);
    expect(findSecrets([file, ...outputs].join('\n'), secrets)).toEqual([]);

    // Apply reads the password from the config, since the plan holds none.
    const applied = await runCli(['apply', 'plan.json'], { cwd: dir, env });
    expect(applied.stderr).not.toContain('Error');
    expect(applied.code).toBe(0);
    expect(findSecrets(applied.stdout + applied.stderr, secrets)).toEqual([]);
    expect(await ownerOf('vault_raw')).toBe('vault_loader');

    // The loader logs in with the configured password and can write.
    const asLoader = await createLabProject(lab, {
      vault: { user: 'vault_loader', passwordEnv: 'LOADER_PASSWORD', schema: 'vault_raw' },
    });
    expect(await runCli(['check'], { cwd: asLoader, env })).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('1 destination checked: 1 ready, 0 failing.'),
    });
  });

  it('never sends the new password itself to the server, only its SCRAM verifier', async () => {
    await lab.postgres.query("ALTER SYSTEM SET log_statement = 'all'");
    await lab.postgres.query('SELECT pg_reload_conf()');
    try {
      const dir = await createLabProject(lab, { audit: managed('audit_loader', 'audit_raw') });
      const applied = await runCli(['apply', '--auto-approve', '-v'], { cwd: dir, env });
      expect(applied.code).toBe(0);
      const log = await (await import('node:fs/promises')).readFile(lab.postgres.logPath, 'utf8');
      expect(log).toContain('CREATE ROLE "audit_loader" LOGIN PASSWORD \'SCRAM-SHA-256$4096:');
      expect(log).not.toContain(loaderPassword);
      expect(applied.stdout + applied.stderr).not.toContain(loaderPassword);
    } finally {
      await lab.postgres.query('ALTER SYSTEM RESET log_statement');
      await lab.postgres.query('SELECT pg_reload_conf()');
    }
  });

  it('applies twenty destinations on one database from two processes at once without a failure', async () => {
    const names = (prefix: string) => Array.from({ length: 10 }, (_, i) => `${prefix}${i}`);
    // Destinations sharing an admin session are applied in one transaction.
    // Each admin password here comes from a variable of its own, so that each
    // destination has a session of its own: twenty transactions granting on
    // one database at once, as the configurations of many teams would.
    const adminEnv = Object.fromEntries(
      [...names('a'), ...names('b')].map((name) => [
        `ADMIN_PASSWORD_${name}`,
        lab.postgres.superuser.password,
      ]),
    );
    const dirs = await Promise.all(
      ['a', 'b'].map((prefix) =>
        createLabProject(
          lab,
          Object.fromEntries(
            names(prefix).map((name) => [
              name,
              {
                ...managed(`many_${name}`, `many_${name}`),
                admin: { user: 'postgres', passwordEnv: `ADMIN_PASSWORD_${name}` },
              },
            ]),
          ),
        ),
      ),
    );
    const runs = dirs.map(
      (dir) =>
        new Promise<{ code: number | null; output: string }>((resolve) => {
          const child = spawn(process.execPath, [bin, 'apply', '--auto-approve'], {
            cwd: dir,
            env: { ...process.env, ...env, ...adminEnv, HOME: dir },
          });
          let output = '';
          child.stdout.on('data', (chunk) => (output += chunk));
          child.stderr.on('data', (chunk) => (output += chunk));
          child.on('exit', (code) => resolve({ code, output }));
        }),
    );
    const results = await Promise.all(runs);
    for (const result of results) {
      expect(result.output).not.toContain('tuple concurrently updated');
      expect(result.code, result.output).toBe(0);
      expect(result.output).toContain('Apply complete! 10 created');
    }
    const roles = await lab.postgres.query(
      "SELECT count(*)::int AS n FROM pg_roles WHERE rolname LIKE 'many_%'",
    );
    expect(roles.rows[0]!.n).toBe(20);
  });
});
