import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, endSession } from '../../src/database/connect-database.ts';
import { silentLogger } from '../../src/diagnostics/logger.ts';
import { TunnelPool } from '../../src/tunnel/tunnel-pool.ts';
import { schemaProblems } from '../support/json-schemas.ts';
import type { LabDestination } from '../support/lab-config.ts';
import { createLabProject } from '../support/lab-project.ts';
import { secretOf } from '../support/model-fixtures.ts';
import { runCli, type CliResult } from '../support/run-cli.ts';
import { findSecrets } from '../support/secret-canary.ts';
import { startLab, type Lab } from '../support/start-lab.ts';

const loaderPassword = 'canary-configured-loader-password-5e19';
const stalePassword = 'canary-stale-loader-password-a7c3';
let lab: Lab;
let env: Record<string, string>;
let secrets: string[];

beforeAll(async () => {
  lab = await startLab();
  env = { LOADER_PASSWORD: loaderPassword, ADMIN_PASSWORD: lab.postgres.superuser.password };
  secrets = [loaderPassword, lab.postgres.superuser.password];
  // Every statement reaches the server log, so that a test can look for the password there.
  await lab.postgres.query("ALTER SYSTEM SET log_statement = 'all'");
  await lab.postgres.query('SELECT pg_reload_conf()');
});
afterAll(() => lab?.stop());

const managed = (user: string, schema: string): LabDestination => ({
  user,
  passwordEnv: 'LOADER_PASSWORD',
  schema,
  admin: { user: 'postgres', passwordEnv: 'ADMIN_PASSWORD' },
});

/** Whether `user` logs in with `password` through the bastion, as the pipeline would. */
async function logsIn(user: string, password: string): Promise<boolean> {
  const tunnels = new TunnelPool(new Map([['main', lab.bastion()]]), { logger: silentLogger });
  try {
    const endpoint = lab.endpoint({ user, password: secretOf(password, 'env:LOADER_PASSWORD') });
    const client = await connectDatabase(endpoint, {
      logger: silentLogger,
      tunnels,
      bastion: 'main',
    });
    await endSession(client);
    return true;
  } catch {
    return false;
  } finally {
    await tunnels.close();
  }
}

/** Every file pgdest left in a project: the saved plans, the state and its backup. */
async function readProjectFiles(dir: string): Promise<string> {
  const files = [
    ...(await readdir(dir)).filter((name) => name.endsWith('.json')),
    ...(await readdir(join(dir, '.pgdest'))).map((name) => join('.pgdest', name)),
  ];
  const texts = await Promise.all(
    files.map((name) => readFile(join(dir, name), 'utf8').catch(() => '')),
  );
  return texts.join('\n');
}

const outputsOf = (results: CliResult[]) => results.flatMap((r) => [r.stdout, r.stderr]).join('\n');

describe('a destination with an admin login whose loader cannot log in', () => {
  it('sets the configured password as the admin when the loader exists with another one', async () => {
    await lab.postgres.createRole('known_loader', { password: stalePassword });
    const dir = await createLabProject(lab, { ops: managed('known_loader', 'ops_raw') });
    const setPassword = 'ALTER ROLE "known_loader" PASSWORD (sensitive); -- as admin';

    // The plan says why and shows the statement without the password, in every format.
    const planned = await runCli(['plan', '--detailed-exitcode', '-o', 'plan.json'], {
      cwd: dir,
      env,
    });
    expect(planned.code, planned.stderr).toBe(2);
    expect(planned.stdout).toContain(
      '# (role "known_loader" cannot log in with the configured password)',
    );
    expect(planned.stdout).toContain(setPassword);
    const document = JSON.parse(await readFile(join(dir, 'plan.json'), 'utf8'));
    expect(schemaProblems('plan.schema.json', document)).toEqual([]);
    expect(document.changes[0].steps[0]).toEqual({
      kind: 'set-password',
      as: 'admin',
      role: 'known_loader',
      sql: 'ALTER ROLE "known_loader" PASSWORD (sensitive)',
    });
    const json = await runCli(['plan', '--format', 'json'], { cwd: dir, env });
    expect(schemaProblems('plan.schema.json', JSON.parse(json.stdout))).toEqual([]);
    expect(json.stdout).toContain('"sql": "ALTER ROLE \\"known_loader\\" PASSWORD (sensitive)"');
    const markdown = await runCli(['plan', '--format', 'markdown'], { cwd: dir, env });
    expect(markdown.stdout).toContain('ALTER ROLE "known_loader" PASSWORD (sensitive)');
    const shown = await runCli(['show', 'plan.json'], { cwd: dir, env });
    expect(shown.stdout).toContain(setPassword);
    expect(await logsIn('known_loader', loaderPassword)).toBe(false);

    // Apply runs it; then the loader logs in with the configured password, and not the old one.
    const applied = await runCli(['apply', 'plan.json', '-v'], { cwd: dir, env });
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(await logsIn('known_loader', loaderPassword)).toBe(true);
    expect(await logsIn('known_loader', stalePassword)).toBe(false);

    const again = await runCli(['plan', '--detailed-exitcode'], { cwd: dir, env });
    expect(again).toMatchObject({
      code: 0,
      stdout: 'No changes. The destinations match the configuration.\n',
    });
    const checked = await runCli(['check'], { cwd: dir, env });
    expect(checked.code, checked.stdout).toBe(0);
    const state = await runCli(['show'], { cwd: dir, env });

    // Neither password reaches an output, a file, or the server's statement log.
    const results = [planned, json, markdown, shown, applied, again, checked, state];
    expect(findSecrets(outputsOf(results), secrets)).toEqual([]);
    expect(findSecrets(await readProjectFiles(dir), secrets)).toEqual([]);
    const log = await readFile(lab.postgres.logPath, 'utf8');
    expect(log).toContain('ALTER ROLE "known_loader" PASSWORD \'SCRAM-SHA-256$4096:');
    expect(findSecrets(log, [loaderPassword])).toEqual([]);
  });

  it('repairs a password changed behind its back once for the destinations that share the loader', async () => {
    const dir = await createLabProject(lab, {
      sales: managed('shared_pw_loader', 'sales_pw_raw'),
      ads: managed('shared_pw_loader', 'ads_pw_raw'),
    });
    const created = await runCli(['apply', '--auto-approve'], { cwd: dir, env });
    expect(created.code, created.stdout + created.stderr).toBe(0);
    await lab.postgres.query(`ALTER ROLE shared_pw_loader PASSWORD '${stalePassword}'`);

    const drift = await runCli(['plan', '--detailed-exitcode'], { cwd: dir, env });
    expect(drift.code, drift.stderr).toBe(2);
    expect(drift.stdout.split('ALTER ROLE "shared_pw_loader" PASSWORD (sensitive)')).toHaveLength(
      2,
    );
    expect(drift.stdout).toContain('destination.ads will be updated in place');
    expect(drift.stdout).toContain('Plan: 0 to create, 1 to update, 0 to delete.');

    const applied = await runCli(['apply', '--auto-approve'], { cwd: dir, env });
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(await logsIn('shared_pw_loader', loaderPassword)).toBe(true);
    expect(await runCli(['plan', '--detailed-exitcode'], { cwd: dir, env })).toMatchObject({
      code: 0,
      stdout: 'No changes. The destinations match the configuration.\n',
    });
    expect(findSecrets(outputsOf([drift, applied]), secrets)).toEqual([]);
    expect(findSecrets(await readProjectFiles(dir), secrets)).toEqual([]);
  });

  it('gives a loader that may not log in both LOGIN and the configured password', async () => {
    await lab.postgres.createRole('dormant_loader', { password: stalePassword, login: false });
    const dir = await createLabProject(lab, { crm: managed('dormant_loader', 'crm_pw_raw') });

    const planned = await runCli(['plan'], { cwd: dir, env });
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toContain('ALTER ROLE "dormant_loader" LOGIN; -- as admin');
    expect(planned.stdout).toContain(
      'ALTER ROLE "dormant_loader" PASSWORD (sensitive); -- as admin',
    );

    expect((await runCli(['apply', '--auto-approve'], { cwd: dir, env })).code).toBe(0);
    expect(await logsIn('dormant_loader', loaderPassword)).toBe(true);
    expect((await runCli(['plan', '--detailed-exitcode'], { cwd: dir, env })).code).toBe(0);
  });

  it('leaves the password alone when only LOGIN is missing', async () => {
    await lab.postgres.createRole('idle_loader', { password: loaderPassword, login: false });
    const dir = await createLabProject(lab, { hr: managed('idle_loader', 'hr_pw_raw') });
    const planned = await runCli(['plan'], { cwd: dir, env });
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toContain('ALTER ROLE "idle_loader" LOGIN; -- as admin');
    expect(planned.stdout).not.toContain('PASSWORD');
  });

  it('keeps a pg_hba.conf refusal of the loader an error, as without an admin', async () => {
    await lab.postgres.createRole('fenced_loader', { password: loaderPassword });
    const dir = await createLabProject(lab, { fin: managed('fenced_loader', 'fin_pw_raw') });
    await lab.postgres.setHbaRules(['host all fenced_loader 0.0.0.0/0 reject']);
    try {
      const planned = await runCli(['plan', '--format', 'json'], { cwd: dir, env });
      expect(planned.code).toBe(1);
      expect(planned.stderr).toContain('pg_hba.conf of the server refuses fenced_loader');
      const document = JSON.parse(planned.stdout);
      expect(document.destinations).toEqual([
        { address: 'destination.fin', name: 'fin', action: null, status: 'login-refused' },
      ]);
      expect(document.changes).toEqual([]);
    } finally {
      await lab.postgres.setHbaRules([]);
    }
  });
});
