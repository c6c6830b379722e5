import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLabConfig, type LabDestination } from '../support/lab-config.ts';
import {
  createLabProject,
  loaderDestination as loader,
  readProjectState,
  schemaExists,
} from '../support/lab-project.ts';
import { runCli, type CliResult } from '../support/run-cli.ts';
import { findSecrets } from '../support/secret-canary.ts';
import { startLab, type Lab } from '../support/start-lab.ts';

/*
 * What plan, apply and show promise beyond the changes themselves: how many
 * connections and sessions a run opens and how they overlap, how many
 * statements refreshing sends, when apply asks before it acts, and what the
 * state shows. Overlap is watched from the server's side, never timed.
 */

const canary = 'canary-plan-apply-cli-7d2e41';
const env = { LOADER_PASSWORD: canary };
// Four databases, one pgdest session each in the concurrency tests.
const databases = ['par_a', 'par_b', 'par_c', 'par_d'];
let lab: Lab;

beforeAll(async () => {
  // The default prefix, named so that the statement log can be read by pid.
  lab = await startLab({ postgres: { settings: { log_line_prefix: '%m [%p] ' } } });
  // loader and other_loader may create schemas; restricted may only write into public.
  for (const role of ['loader', 'other_loader', 'restricted']) {
    await lab.postgres.createRole(role, { password: canary, login: true });
  }
  await lab.postgres.query('GRANT CREATE ON DATABASE postgres TO loader');
  await lab.postgres.query('GRANT CREATE ON SCHEMA public TO restricted');
  for (const database of databases) {
    await lab.postgres.createDatabase(database);
    await lab.postgres.query(`GRANT CREATE ON DATABASE ${database} TO loader, other_loader`);
  }
});
afterAll(() => lab?.stop());

describe('sessions and connections', () => {
  it('plans every session at once over one SSH connection', async () => {
    const dir = await createSessionsProject('plan_all');
    const connectionsBefore = await lab.sshd.countConnections();

    const run = await runGated(['plan'], dir, { lock: 'ACCESS EXCLUSIVE', release: 'together' });

    // Were they worked one after another, the first would give up waiting.
    expect(run.mostWaiting).toBe(databases.length);
    expect(run.result.code, run.result.stderr).toBe(0);
    expect(run.result.stdout).toContain('Plan: 5 to create, 0 to update, 0 to delete.');
    expect(await lab.sshd.countConnections()).toBe(connectionsBefore + 1);
  });

  it('applies every session at once over one SSH connection', async () => {
    const dir = await createSessionsProject('apply_all');
    const connectionsBefore = await lab.sshd.countConnections();

    // SHARE lets refreshing read the catalog and stops CREATE SCHEMA.
    const run = await runGated(['apply', '--auto-approve'], dir, {
      lock: 'SHARE',
      release: 'together',
    });

    expect(run.mostWaiting).toBe(databases.length);
    expect(run.result.code, run.result.stderr).toBe(0);
    expect(run.result.stdout).toContain('Apply complete! 5 created');
    expect(await lab.sshd.countConnections()).toBe(connectionsBefore + 1);
  });

  it('keeps one session at work at a time with --parallelism 1, in plan and in apply', async () => {
    const dir = await createSessionsProject('one_by_one');
    const connectionsBefore = await lab.sshd.countConnections();
    const args = ['--parallelism', '1'];

    const planned = await runGated(['plan', ...args], dir, {
      lock: 'ACCESS EXCLUSIVE',
      release: 'one-by-one',
    });
    expect(planned.result.code, planned.result.stderr).toBe(0);
    // Each session was held at its gate, and no other worked meanwhile.
    expect([...planned.waitedIn].sort()).toEqual(databases);
    expect(planned.mostActive).toBe(1);

    const applied = await runGated(['apply', '--auto-approve', ...args], dir, {
      lock: 'SHARE',
      release: 'one-by-one',
    });
    expect(applied.result.code, applied.result.stderr).toBe(0);
    expect(applied.result.stdout).toContain('Apply complete! 5 created');
    expect([...applied.waitedIn].sort()).toEqual(databases);
    expect(applied.mostActive).toBe(1);
    expect(await lab.sshd.countConnections()).toBe(connectionsBefore + 2);
  });
});

describe('refreshing', () => {
  it('reads the destinations of a session in one catalog query, however many share it', async () => {
    const one = await createLabProject(lab, { single: loader('single_raw') });
    const five = await createLabProject(
      lab,
      Object.fromEntries(
        Array.from({ length: 5 }, (_, index) => [`shared${index}`, loader(`shared${index}_raw`)]),
      ),
    );

    const counts = await withStatementLog(async () => ({
      one: await countStatementsPerSession(() => runCli(['plan'], { cwd: one, env })),
      five: await countStatementsPerSession(() => runCli(['plan'], { cwd: five, env })),
    }));

    expect(counts.one).toEqual([1]);
    expect(counts.five).toEqual([1]);
  });
});

describe('confirmation', () => {
  it('refuses to apply without a plan file, --auto-approve or a terminal, and touches nothing', async () => {
    const dir = await createLabProject(lab, { unasked: loader('unasked_raw') });
    const connectionsBefore = await lab.sshd.countConnections();

    // A yes piped in is no answer: only a terminal may give one.
    const refused = await runCli(['apply'], { cwd: dir, env, stdin: 'yes\n' });

    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('Error: Apply needs a confirmation');
    expect(refused.stderr).toContain(
      'pgdest apply asks for yes before changing anything, and standard input is not a terminal.',
    );
    expect(refused.stderr).toContain('`pgdest apply --auto-approve`');
    expect(await schemaExists(lab, 'unasked_raw')).toBe(false);
    expect(existsSync(join(dir, '.pgdest'))).toBe(false);
    expect(await lab.sshd.countConnections()).toBe(connectionsBefore);
  });

  it('shows the drop of a removed destination as destructive and runs it only after yes', async () => {
    const dir = await createLabProject(lab, {
      doomed: loader('doomed_raw', { on_delete: 'drop' }),
    });
    expect((await runCli(['apply', '--auto-approve'], { cwd: dir, env })).code).toBe(0);
    await lab.postgres.query('CREATE TABLE doomed_raw.events (id int)');
    await writeLabConfig(lab, {}, { dir });
    const terminal = { cwd: dir, env: { ...env, NO_COLOR: '1' }, tty: true };

    const cancelled = await runCli(['apply'], { ...terminal, stdin: 'no\n' });
    expect(cancelled.code).toBe(1);
    expect(cancelled.stdout).toContain('# destination.doomed will be deleted');
    expect(cancelled.stdout).toContain('DROP SCHEMA IF EXISTS "doomed_raw" CASCADE;');
    expect(cancelled.stdout).toContain(
      '1 destructive change: DROP SCHEMA ... CASCADE deletes every table in the schema.',
    );
    expect(cancelled.stdout).toContain(
      "Do you want to perform these actions? Destructive changes drop schemas with every table in them. Only 'yes' will be accepted.",
    );
    expect(cancelled.stdout).toContain('Apply cancelled.');
    expect(await schemaExists(lab, 'doomed_raw')).toBe(true);
    expect(Object.keys((await readProjectState(dir)).destinations)).toEqual(['doomed']);

    const approved = await runCli(['apply'], { ...terminal, stdin: 'yes\n' });
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain('Destructive changes drop schemas with every table in them.');
    expect(await schemaExists(lab, 'doomed_raw')).toBe(false);
    expect((await readProjectState(dir)).destinations).toEqual({});
  });
});

describe('show', () => {
  it('prints each destination of the state with its bastion, host key, database, schemas, fallback, server version and time, and no secret', async () => {
    const dir = await createLabProject(lab, {
      orders: loader('orders_raw'),
      events: { user: 'restricted', passwordEnv: 'LOADER_PASSWORD', schema: 'events_raw' },
    });
    expect((await runCli(['apply', '--auto-approve'], { cwd: dir, env })).code).toBe(0);
    const state = await readProjectState(dir);
    const version = await lab.postgres.query<{ server_version: string }>('SHOW server_version');

    const shown = await runCli(['show'], { cwd: dir, env });

    expect(shown.code, shown.stderr).toBe(0);
    const bastion = `root@${lab.sshd.hostFor(lab.network.host)}:${lab.sshd.port} (main)`;
    const database = `${lab.postgres.hostFor(lab.bastionPlace)}:${lab.postgres.port}/postgres`;
    const entry = (name: string, user: string, schema: string, effective: string) => [
      `# destination.${name}`,
      `  bastion          = ${bastion}`,
      `  host_key         = ${lab.sshd.hostKey().fingerprint}`,
      `  database         = ${database}`,
      `  user             = ${user}`,
      `  schema           = ${schema}`,
      `  effective_schema = ${effective}`,
      '  privileges       = CREATE, ALTER, INSERT, SELECT, DELETE, DROP',
      '  admin            = (none)',
      '  on_delete        = forget',
      `  server_version   = ${version.rows[0]!.server_version}`,
      `  applied_at       = ${state.destinations[name]!.appliedAt}`,
      '',
    ];
    expect(shown.stdout).toBe(
      [
        `# state ${join(dir, '.pgdest/state.json')}, serial ${state.serial}, lineage ${state.lineage}`,
        '',
        ...entry('events', 'restricted', 'events_raw', 'public (fallback)'),
        ...entry('orders', 'loader', 'orders_raw', 'orders_raw'),
      ].join('\n'),
    );
    expect(state.destinations.orders!.appliedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    expect(findSecrets(shown.stdout + shown.stderr, [canary, lab.clientKey.privateKey])).toEqual(
      [],
    );
  });
});

/** Five destinations in four sessions: two share loader's session on par_a, other_loader has par_d. */
function createSessionsProject(prefix: string): Promise<string> {
  const destinations: Record<string, LabDestination> = {
    [`${prefix}_a1`]: loader(`${prefix}_a1`, { database: 'par_a' }),
    [`${prefix}_a2`]: loader(`${prefix}_a2`, { database: 'par_a' }),
    [`${prefix}_b`]: loader(`${prefix}_b`, { database: 'par_b' }),
    [`${prefix}_c`]: loader(`${prefix}_c`, { database: 'par_c' }),
    [`${prefix}_d`]: { ...loader(`${prefix}_d`, { database: 'par_d' }), user: 'other_loader' },
  };
  return createLabProject(lab, destinations);
}

interface GatedRun {
  result: CliResult;
  /** The most pgdest sessions seen running a statement at one moment, waiting ones included. */
  mostActive: number;
  /** The most pgdest sessions seen waiting at a gate at one moment. */
  mostWaiting: number;
  /** The databases where a pgdest session was seen waiting at the gate. */
  waitedIn: Set<string>;
}

// How long a session waits at its gate, one by one, before it opens: long
// enough for any session running beside it to reach its own gate, well
// within pgdest's lock_timeout.
const holdAtGateMs = 500;

/**
 * Runs pgdest with a gate in each database: a superuser transaction holding
 * a lock on pg_namespace, which pgdest's statements there wait for, in
 * plain view in pg_stat_activity. `together` opens every gate once every
 * session waits at one; `one-by-one` opens a gate once its session has waited
 * there for holdAtGateMs, so that sessions running at the same time would be
 * seen waiting together. pgdest gives up a lock after its lock_timeout (5 s).
 */
async function runGated(
  args: string[],
  dir: string,
  options: { lock: 'ACCESS EXCLUSIVE' | 'SHARE'; release: 'together' | 'one-by-one' },
): Promise<GatedRun> {
  const gates = new Map<string, pg.Client>();
  const open = async (database: string) => {
    const gate = gates.get(database);
    if (!gate) return;
    gates.delete(database);
    await gate.query('COMMIT');
    await gate.end();
  };
  for (const database of databases) {
    const gate = await lab.postgres.connectAsSuperuser(database);
    await gate.query('BEGIN');
    await gate.query(`LOCK TABLE pg_catalog.pg_namespace IN ${options.lock} MODE`);
    gates.set(database, gate);
  }

  const watcher = await lab.postgres.connectAsSuperuser();
  const run: Omit<GatedRun, 'result'> = { mostActive: 0, mostWaiting: 0, waitedIn: new Set() };
  const firstSeen = new Map<string, number>();
  let done = false;
  const running = runCli(args, { cwd: dir, env }).finally(() => (done = true));
  try {
    while (!done) {
      const { rows } = await watcher.query<{ datname: string; waiting: boolean }>(
        "SELECT datname, wait_event_type = 'Lock' AS waiting FROM pg_stat_activity WHERE application_name = 'pgdest' AND state = 'active'",
      );
      const waiting = rows.filter((row) => row.waiting).map((row) => row.datname);
      run.mostActive = Math.max(run.mostActive, rows.length);
      run.mostWaiting = Math.max(run.mostWaiting, waiting.length);
      for (const database of waiting) run.waitedIn.add(database);

      if (options.release === 'together' && waiting.length === databases.length) {
        await Promise.all(databases.map(open));
      }
      if (options.release === 'one-by-one') {
        for (const database of waiting) {
          if (!firstSeen.has(database)) firstSeen.set(database, performance.now());
          if (performance.now() - firstSeen.get(database)! >= holdAtGateMs) await open(database);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await Promise.all(databases.map(open));
    await watcher.end();
  }
  return { result: await running, ...run };
}

/**
 * Runs `work` with every statement logged (log_statement = all), and the
 * setting back to its default afterwards.
 */
async function withStatementLog<T>(work: () => Promise<T>): Promise<T> {
  await setLogStatement("ALTER SYSTEM SET log_statement = 'all'", 'all');
  try {
    return await work();
  } finally {
    await setLogStatement('ALTER SYSTEM RESET log_statement', 'none');
  }
}

async function setLogStatement(sql: string, expected: string): Promise<void> {
  await lab.postgres.query(sql);
  await lab.postgres.query('SELECT pg_reload_conf()');
  // A new session sees the setting once the postmaster has reread its files.
  for (let look = 0; look < 100; look++) {
    const { rows } = await lab.postgres.query<{ log_statement: string }>('SHOW log_statement');
    if (rows[0]!.log_statement === expected) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`log_statement did not become ${expected}`);
}

/**
 * Runs a pgdest command and counts, from the server log, the statements each
 * of its sessions sent (simple and extended protocol alike), in ascending
 * order.
 */
async function countStatementsPerSession(run: () => Promise<CliResult>): Promise<number[]> {
  const offset = (await stat(lab.postgres.logPath)).size;
  const result = await run();
  expect(result.code, result.stderr).toBe(0);
  const log = (await readFile(lab.postgres.logPath)).subarray(offset).toString('utf8');

  const sessions = [
    ...log.matchAll(/\[(\d+)\] LOG: {2}connection authorized: .*application_name=pgdest$/gm),
  ].map((match) => match[1]!);
  expect(sessions.length).toBeGreaterThan(0);
  const statements = [...log.matchAll(/\[(\d+)\] LOG: {2}(?:statement|execute [^:]*): /g)];
  return sessions
    .map((pid) => statements.filter((match) => match[1] === pid).length)
    .sort((a, b) => a - b);
}
