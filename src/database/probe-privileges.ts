import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { allPrivileges, type Privilege } from '../config/model.ts';
import { quoteIdentifier } from '../plan/step-sql.ts';
import { readPostgresFields } from './database-connection-error.ts';

/** What to prove, where, and how long any one statement may wait. */
export interface ProbeRequest {
  /** The schema to create the throwaway table in; it must exist. */
  schema: string;
  /** The privileges to prove. CREATE is always tried, since every other step needs the table. */
  privileges: readonly Privilege[];
  /** The throwaway table's name; default `pgdest_check_` and 12 random hex digits. */
  table?: string;
  /** lock_timeout for the probe's transaction; default 2 s. */
  lockTimeoutMs?: number;
  /** statement_timeout for the probe's transaction; default 10 s. */
  statementTimeoutMs?: number;
}

/** What PostgreSQL answered when a step failed, as it said it. */
export interface ProbeError {
  message: string;
  /** The SQLSTATE, such as `42501`; absent when the error did not come from the server. */
  code?: string;
  detail?: string;
  hint?: string;
}

/**
 * One statement of the probe. `skipped` means it was not run because the
 * table it needs could not be created.
 */
export type ProbeStep =
  | { privilege: Privilege; statement: string; outcome: 'ok'; elapsedMs: number }
  | {
      privilege: Privilege;
      statement: string;
      outcome: 'failed';
      elapsedMs: number;
      error: ProbeError;
    }
  | { privilege: Privilege; statement: string; outcome: 'skipped' };

/** The result of a probe: every step tried, in the order it ran. */
export interface PrivilegeProbe {
  schema: string;
  table: string;
  steps: ProbeStep[];
}

// The order a loader uses its privileges in: each step needs the table the
// first one makes, and DROP comes last.
const order: readonly Privilege[] = allPrivileges;

// One name is enough: each step's savepoint is released or rolled back
// before the next one is set.
const savepoint = 'pgdest_check_step';

/**
 * Proves privileges by using them: in one transaction that is always rolled
 * back, it creates a table in the schema, adds a column, inserts a row,
 * selects it, deletes it and drops the table, each under its own savepoint so
 * that one refusal does not hide the others' results. Short lock and
 * statement timeouts keep it from hanging on a busy database. Nothing is left
 * behind, whatever fails. Throws only when the session itself fails (the
 * connection lost), not when PostgreSQL refuses a step.
 */
export async function probePrivileges(
  client: pg.Client,
  request: ProbeRequest,
): Promise<PrivilegeProbe> {
  const table = request.table ?? `pgdest_check_${randomBytes(6).toString('hex')}`;
  const target = `${quoteIdentifier(request.schema)}.${quoteIdentifier(table)}`;
  const statements: Record<Privilege, string> = {
    CREATE: `CREATE TABLE ${target} (id integer)`,
    ALTER: `ALTER TABLE ${target} ADD COLUMN checked_at timestamptz`,
    INSERT: `INSERT INTO ${target} (id) VALUES (1)`,
    SELECT: `SELECT id FROM ${target}`,
    // No WHERE clause: reading a column to filter on would need SELECT too.
    DELETE: `DELETE FROM ${target}`,
    DROP: `DROP TABLE ${target}`,
  };
  const wanted = order.filter(
    (privilege) => privilege === 'CREATE' || request.privileges.includes(privilege),
  );

  // Integers only, so the values are safe to write into the statement.
  const lockMs = Math.trunc(request.lockTimeoutMs ?? 2_000);
  const statementMs = Math.trunc(request.statementTimeoutMs ?? 10_000);
  await client.query(
    `BEGIN; SET LOCAL lock_timeout = ${lockMs}; SET LOCAL statement_timeout = ${statementMs}`,
  );
  const steps: ProbeStep[] = [];
  try {
    let haveTable = false;
    for (const privilege of wanted) {
      const statement = statements[privilege];
      if (privilege !== 'CREATE' && !haveTable) {
        steps.push({ privilege, statement, outcome: 'skipped' });
        continue;
      }
      const step = await runStep(client, privilege, statement);
      if (privilege === 'CREATE') haveTable = step.outcome === 'ok';
      steps.push(step);
    }
  } catch (error) {
    // The session failed; the server rolls back when it notices, and this
    // tries to say so sooner without hiding the first error.
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
  await client.query('ROLLBACK');
  return { schema: request.schema, table, steps };
}

/** Runs one statement under a savepoint, in one round trip when it succeeds. */
async function runStep(
  client: pg.Client,
  privilege: Privilege,
  statement: string,
): Promise<ProbeStep> {
  const started = performance.now();
  try {
    await client.query(`SAVEPOINT ${savepoint}; ${statement}; RELEASE SAVEPOINT ${savepoint}`);
    return { privilege, statement, outcome: 'ok', elapsedMs: elapsedSince(started) };
  } catch (error) {
    const elapsedMs = elapsedSince(started);
    const fields = readPostgresFields(error);
    // Not an answer from PostgreSQL: the session is gone, and so is the probe.
    if (fields === undefined) throw error;
    await client.query(`ROLLBACK TO SAVEPOINT ${savepoint}`);
    const probeError: ProbeError = { message: fields.message ?? (error as Error).message };
    if (fields.code !== undefined) probeError.code = fields.code;
    if (fields.detail !== undefined) probeError.detail = fields.detail;
    if (fields.hint !== undefined) probeError.hint = fields.hint;
    return { privilege, statement, outcome: 'failed', elapsedMs, error: probeError };
  }
}

function elapsedSince(started: number): number {
  return Math.round(performance.now() - started);
}
