import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { parse, stringify } from 'yaml';
import { allPrivileges } from '../../src/config/model.ts';
import { probePrivileges } from '../../src/database/probe-privileges.ts';
import type { CheckJson } from '../../src/render/render-check-json.ts';
import { writeLabConfig, type LabDestination } from '../support/lab-config.ts';
import { runCli, type CliResult } from '../support/run-cli.ts';
import { startLab, type Lab } from '../support/start-lab.ts';

const canary = 'canary-check-password-7d21a4';
const env = { LOADER_PASSWORD: canary };
let lab: Lab;

beforeAll(async () => {
  lab = await startLab();
  const sql = (statement: string) => lab.postgres.query(statement);
  // loader owns "healthy" and "mixed"; "shared" and "nocreate" belong to
  // keeper, which granted the loader USAGE and CREATE, then took one back.
  await lab.postgres.createRole('loader', { password: canary, login: true });
  await lab.postgres.createRole('keeper', { login: false });
  await sql('CREATE SCHEMA healthy AUTHORIZATION loader');
  await sql('CREATE SCHEMA mixed AUTHORIZATION loader');
  await sql('CREATE TABLE mixed.legacy_orders (id int)');
  await sql('ALTER TABLE mixed.legacy_orders OWNER TO keeper');
  await sql('CREATE TABLE mixed.own_rows (id int)');
  await sql('ALTER TABLE mixed.own_rows OWNER TO loader');
  for (const schema of ['shared', 'nocreate']) {
    await sql(`CREATE SCHEMA ${schema} AUTHORIZATION keeper`);
    await sql(`GRANT USAGE, CREATE ON SCHEMA ${schema} TO loader`);
  }
  await sql('REVOKE USAGE ON SCHEMA shared FROM loader');
  await sql('REVOKE CREATE ON SCHEMA nocreate FROM loader');
  // restricted may not create schemas, only write into public.
  await lab.postgres.createRole('restricted', { password: canary, login: true });
  await sql('GRANT CREATE ON SCHEMA public TO restricted');
});
afterAll(() => lab?.stop());

async function project(destinations: Record<string, LabDestination>): Promise<string> {
  const dir = await mkdtemp(join(lab.dir, 'check-'));
  await writeLabConfig(lab, destinations, { dir });
  return dir;
}

const loader = (schema: string, extra: Partial<LabDestination> = {}): LabDestination => ({
  user: 'loader',
  passwordEnv: 'LOADER_PASSWORD',
  schema,
  ...extra,
});

async function checkJson(
  dir: string,
  args: string[] = [],
): Promise<{ result: CliResult; document: CheckJson }> {
  const result = await runCli(['check', '--format', 'json', ...args], { cwd: dir, env });
  return { result, document: JSON.parse(result.stdout) as CheckJson };
}

function privilegesOf(document: CheckJson, name: string) {
  const destination = document.destinations.find((d) => d.name === name)!;
  return Object.fromEntries(destination.privileges.map((p) => [p.privilege, p]));
}

/** Everything check could leave behind: schemas, their relations, owners and ACLs, the database's ACL. */
async function snapshotCatalog(): Promise<unknown> {
  const result = await lab.postgres.query(`
    SELECT n.nspname, n.nspowner::regrole::text AS owner, n.nspacl::text AS acl,
      (SELECT json_agg(json_build_object('name', c.relname, 'kind', c.relkind, 'owner', c.relowner::regrole::text, 'acl', c.relacl::text) ORDER BY c.relname)
       FROM pg_class c WHERE c.relnamespace = n.oid) AS relations,
      (SELECT datacl::text FROM pg_database WHERE datname = current_database()) AS database_acl
    FROM pg_namespace n
    WHERE n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'
    ORDER BY n.nspname`);
  return result.rows;
}

async function leftoverTables(): Promise<number> {
  const result = await lab.postgres.query(
    `SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE 'pgdest\\_check\\_%'`,
  );
  return result.rows[0]!.n as number;
}

describe('pgdest check through a real bastion', () => {
  it('proves every privilege of a loader that owns its schema, exits 0 and changes nothing', async () => {
    const dir = await project({ warehouse: loader('healthy') });
    const before = await snapshotCatalog();

    const result = await runCli(['check'], { cwd: dir, env });
    // Progress goes to standard error, as a plain line once a destination is done.
    expect(result.stderr).toMatch(/^✓ destination\.warehouse checked in \d+\.\d s\n$/);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('destination.warehouse: ready');
    expect(result.stdout).toMatch(/bastion main +\S+@\S+:\d+ SHA256:\S+ +ok +\d+ ms/);
    expect(result.stdout).toMatch(/login +loader@\S+:\d+\/postgres +ok +\d+ ms/);
    expect(result.stdout).toMatch(/schema +healthy +ok/);
    for (const privilege of ['CREATE', 'ALTER', 'INSERT', 'SELECT', 'DELETE', 'DROP'])
      expect(result.stdout).toMatch(new RegExp(`\\n  ${privilege} +.+ ok +\\d+ ms`));
    expect(result.stdout).toContain('1 destination checked: 1 ready, 0 failing.');

    expect(await snapshotCatalog()).toEqual(before);
    expect(await leftoverTables()).toBe(0);
    expect(
      await lab.postgres.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'healthy'`),
    ).toMatchObject({ rowCount: 1 });
  });

  it('fails every privilege but CREATE after USAGE on the schema is revoked, with the GRANT in the hint', async () => {
    const dir = await project({ shared: loader('shared') });
    const { result, document } = await checkJson(dir);
    expect(result.code).toBe(1);
    const privileges = privilegesOf(document, 'shared');
    // PostgreSQL checks only CREATE when a table is created, so creating one
    // works; reaching it again for anything else needs USAGE.
    expect(privileges.CREATE!.status).toBe('ok');
    for (const name of ['ALTER', 'INSERT', 'SELECT', 'DELETE', 'DROP']) {
      expect(privileges[name]).toMatchObject({
        status: 'failed',
        error: { sqlstate: '42501' },
        grant: 'GRANT USAGE ON SCHEMA "shared" TO "loader";',
      });
      expect(privileges[name]!.hint).toContain(
        'Ask "keeper", who owns schema "shared", or a superuser to run: GRANT USAGE ON SCHEMA "shared" TO "loader";',
      );
    }
    expect(await leftoverTables()).toBe(0);
  });

  it('fails CREATE after CREATE on the schema is revoked, and reports the rest as not proven', async () => {
    const dir = await project({ nocreate: loader('nocreate') });
    const result = await runCli(['check'], { cwd: dir, env });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/CREATE +create a table +FAILED +\d+ ms/);
    expect(result.stdout).toContain(
      '✗ CREATE: permission denied for schema nocreate (SQLSTATE 42501)',
    );
    expect(result.stdout).toContain('GRANT CREATE ON SCHEMA "nocreate" TO "loader";');
    expect(result.stdout).toContain('✗ ALTER, INSERT, SELECT, DELETE, DROP: not proven');
    for (const privilege of ['ALTER', 'INSERT', 'SELECT', 'DELETE', 'DROP'])
      expect(result.stdout).toMatch(new RegExp(`\\n  ${privilege} +.+ not proven`));
    expect(result.stdout).toContain('destination.nocreate: failing');
    expect(result.stdout).toContain('1 destination checked: 0 ready, 1 failing.');
  });

  it('names the tables in the schema that another role owns', async () => {
    const dir = await project({ mixed: loader('mixed') });
    const result = await runCli(['check'], { cwd: dir, env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      '1 table or view in schema "mixed" belongs to another role, so loader cannot ALTER or DROP it: "legacy_orders".',
    );
    expect(result.stdout).not.toContain('own_rows');
  });

  it('proves the privileges in public for a loader that falls back to it, and agrees with state once applied', async () => {
    const dir = await project({
      events: { user: 'restricted', passwordEnv: 'LOADER_PASSWORD', schema: 'events_raw' },
    });
    const first = await runCli(['check'], { cwd: dir, env });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/schema +public \(fallback for events_raw\) +ok/);

    expect((await runCli(['apply', '--auto-approve'], { cwd: dir, env })).code).toBe(0);
    const { result, document } = await checkJson(dir);
    expect(result.code).toBe(0);
    expect(document.destinations[0]!.schema).toMatchObject({
      declared: 'events_raw',
      effective: 'public',
      fallback: true,
      recorded: { effective: 'public', fallback: true, agrees: true },
    });
    expect(
      await lab.postgres.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'events_raw'`),
    ).toMatchObject({ rowCount: 0 });
  });

  it('fails every privilege with the reason when the schema is missing and schema_fallback is none', async () => {
    const dir = await project({
      strict: {
        user: 'restricted',
        passwordEnv: 'LOADER_PASSWORD',
        schema: 'strict_raw',
        schema_fallback: 'none',
      },
    });
    const { result, document } = await checkJson(dir);
    expect(result.code).toBe(1);
    const destination = document.destinations[0]!;
    expect(destination.schema).toMatchObject({ declared: 'strict_raw', effective: null });
    expect(destination.privileges).toHaveLength(6);
    for (const privilege of destination.privileges) {
      expect(privilege.status).toBe('failed');
      expect(privilege.reason).toContain('schema_fallback: none forbids falling back to public');
      expect(privilege.grant).toBe('CREATE SCHEMA "strict_raw" AUTHORIZATION "restricted";');
    }
  });

  it('reports the failing hop of an unreachable destination while the others still pass, and exits 1', async () => {
    const dir = await project({
      alpha: loader('healthy'),
      beta: loader('mixed'),
      gamma: loader('healthy'),
    });
    const file = join(dir, 'pgdest.yaml');
    const config = parse(await readFile(file, 'utf8'));
    config.destinations.gamma.database.port = 1;
    await writeFile(file, stringify(config));

    const result = await runCli(['check'], { cwd: dir, env });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('destination.alpha: ready');
    expect(result.stdout).toContain('destination.beta: ready');
    expect(result.stdout).toContain('destination.gamma: unreachable');
    expect(result.stdout).toMatch(/login +loader@\S+:1\/postgres +FAILED/);
    expect(result.stdout).toMatch(
      /✗ login loader@\S+:1\/postgres: Bastion "main" \(\S+\) cannot reach the database at \S+:1/,
    );
    expect(result.stdout).toContain('3 destinations checked: 2 ready, 1 failing.');
    expect(result.stderr).toContain('Error: Bastion "main"');
    expect(result.stderr).toContain('destination.gamma');

    const { document } = await checkJson(dir, ['gamma']);
    expect(document.destinations.map((d) => d.name)).toEqual(['gamma']);
    expect(document.destinations[0]!.hops.map((hop) => [hop.kind, hop.status])).toEqual([
      ['bastion', 'ok'],
      ['database', 'failed'],
    ]);
  });

  it('refuses an unknown destination name with a did-you-mean, before connecting', async () => {
    const dir = await project({ warehouse: loader('healthy') });
    const result = await runCli(['check', 'warehose'], { cwd: dir, env });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Unknown destination "warehose"');
    expect(result.stderr).toContain('Did you mean "warehouse"?');
  });

  it('prints JSON that schemas/check.schema.json describes, with nothing else on standard output', async () => {
    const dir = await project({
      warehouse: loader('healthy'),
      nocreate: loader('nocreate'),
      events: { user: 'restricted', passwordEnv: 'LOADER_PASSWORD', schema: 'events_raw' },
    });
    const { result, document } = await checkJson(dir, ['-v']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('debug check:');
    const schema = JSON.parse(
      await readFile(new URL('../../schemas/check.schema.json', import.meta.url), 'utf8'),
    );
    const validate = new Ajv2020.default({ allErrors: true, strict: true }).compile(schema);
    expect(validate(document), JSON.stringify(validate.errors)).toBe(true);
    expect(document).toMatchObject({
      format_version: 1,
      ready: false,
      summary: { checked: 3, ready: 2, failing: 1 },
    });
  });

  it('prints a markdown summary for a pull request', async () => {
    const dir = await project({ warehouse: loader('healthy'), nocreate: loader('nocreate') });
    const result = await runCli(['check', '--format', 'markdown'], { cwd: dir, env });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('## pgdest check: 1 of 2 destinations ready');
    expect(result.stdout).toContain(
      '| `nocreate` | ❌ failing | `nocreate` | ❌ | ❔ | ❔ | ❔ | ❔ | ❔ |',
    );
    expect(result.stdout).toContain('GRANT CREATE ON SCHEMA "nocreate" TO "loader";');
  });

  it('keeps the loader password out of every format, verbose included', async () => {
    const dir = await project({
      warehouse: loader('healthy'),
      nocreate: loader('nocreate'),
      gamma: { ...loader('healthy'), database: 'missing_db' },
    });
    for (const format of ['human', 'json', 'markdown']) {
      const result = await runCli(['check', '-v', '--format', format], { cwd: dir, env });
      expect(result.code).toBe(1);
      expect(result.stdout).not.toContain(canary);
      expect(result.stderr).not.toContain(canary);
    }
  });
});

describe('probePrivileges', () => {
  it('gives up on a lock held elsewhere after its lock timeout instead of hanging, and leaves the session as it was', async () => {
    await lab.postgres.query('CREATE SCHEMA busy AUTHORIZATION loader');
    // An open DROP SCHEMA holds the lock that creating a table in it waits for.
    const holder = await lab.postgres.connectAsSuperuser();
    const client = new pg.Client({
      host: lab.postgres.socketDir,
      port: lab.postgres.port,
      user: 'loader',
      database: 'postgres',
    });
    await client.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('DROP SCHEMA busy');
      const started = Date.now();
      const probe = await probePrivileges(client, {
        schema: 'busy',
        privileges: allPrivileges,
        lockTimeoutMs: 200,
      });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(probe.steps.map((step) => [step.privilege, step.outcome])).toEqual([
        ['CREATE', 'failed'],
        ['ALTER', 'skipped'],
        ['INSERT', 'skipped'],
        ['SELECT', 'skipped'],
        ['DELETE', 'skipped'],
        ['DROP', 'skipped'],
      ]);
      expect(probe.steps[0]).toMatchObject({
        error: { code: '55P03', message: 'canceling statement due to lock timeout' },
      });

      // The transaction is over: the SET LOCAL timeouts went with it.
      const { rows } = await client.query<{ lock_timeout: string }>('SHOW lock_timeout');
      expect(rows[0]!.lock_timeout).toBe('0');
    } finally {
      await holder.query('ROLLBACK');
      await Promise.all([holder.end(), client.end()]);
    }
  });
});
