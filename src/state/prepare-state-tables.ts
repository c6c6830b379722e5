import type pg from 'pg';
import type { Logger } from '../diagnostics/logger.ts';
import type { StateTables } from './describe-state-tables.ts';
import {
  describeStateQueryFailure,
  schemaCreationError,
  schemaUsageError,
  tableCreationError,
} from './postgres-state-errors.ts';
import { quoteIdentifier } from '../plan/step-sql.ts';
import { setupLockKey } from './state-lock-key.ts';

/** What the catalogs say about the state schema, as the session's login sees it. */
interface SchemaSurvey {
  exists: boolean;
  canUse: boolean;
  canCreateTables: boolean;
  canCreateSchema: boolean;
  /** Which of `states` and `locks` exist. */
  tables: string[];
}

// SQLSTATEs of a schema or table that someone outside pgdest created between
// our look and our CREATE.
const duplicateCodes = new Set(['42P06', '42P07', '23505']);

/**
 * Makes sure the state schema and its two tables exist, creating what is
 * missing. Costs one query when they exist, as they do on every run but the
 * first.
 *
 * Two first runs at once must both succeed: creation happens in a transaction
 * under a transaction-level advisory lock, and the catalogs are read again
 * once it is held, so the second run finds what the first created. The schema
 * is looked up in pg_namespace before anything is created, because `CREATE
 * SCHEMA IF NOT EXISTS` checks CREATE on the database first and fails for a
 * login without it even when the schema is there.
 */
export async function prepareStateTables(
  client: pg.Client,
  tables: StateTables,
  logger: Logger,
): Promise<void> {
  const survey = await surveySchema(client, tables);
  if (survey.exists && survey.tables.length === 2) {
    if (!survey.canUse) throw schemaUsageError(tables);
    return;
  }

  try {
    await createMissing(client, tables, logger);
  } catch (error) {
    // Only a creator outside pgdest, which does not take our lock, can race
    // us; by now its work is committed and a second look finds it.
    if (!duplicateCodes.has((error as { code?: string }).code ?? '')) throw error;
    await createMissing(client, tables, logger);
  }
}

async function createMissing(
  client: pg.Client,
  tables: StateTables,
  logger: Logger,
): Promise<void> {
  const { classId, objectId } = setupLockKey(tables.schema);
  await query(client, tables, 'BEGIN');
  try {
    await query(client, tables, 'SELECT pg_advisory_xact_lock($1, $2)', [classId, objectId]);
    const survey = await surveySchema(client, tables);
    const created = await createWhatIsMissing(client, tables, survey);
    await query(client, tables, 'COMMIT');
    if (created.length > 0) {
      logger.debug(
        'state',
        `created ${created.join(', ')} in database "${tables.database.name}" for the state at ${tables.location}`,
      );
    }
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function createWhatIsMissing(
  client: pg.Client,
  tables: StateTables,
  survey: SchemaSurvey,
): Promise<string[]> {
  const created: string[] = [];
  if (!survey.exists) {
    if (!survey.canCreateSchema) throw schemaCreationError(tables);
    await query(client, tables, `CREATE SCHEMA ${quoteIdentifier(tables.schema)}`);
    created.push(`schema "${tables.schema}"`);
  } else if (!survey.canUse) {
    throw schemaUsageError(tables);
  } else if (survey.tables.length < 2 && !survey.canCreateTables) {
    throw tableCreationError(tables);
  }

  // A table that exists is left as it is, whoever owns it: pgdest creates,
  // it never alters.
  if (!survey.tables.includes('states')) {
    await query(client, tables, createStatesTable(tables));
    created.push(`table ${tables.states}`);
  }
  if (!survey.tables.includes('locks')) {
    await query(client, tables, createLocksTable(tables));
    created.push(`table ${tables.locks}`);
  }
  return created;
}

// The has_*_privilege functions are called with the schema's OID: the name
// form raises an error for a schema that does not exist, the OID form gives NULL.
async function surveySchema(client: pg.Client, tables: StateTables): Promise<SchemaSurvey> {
  const rows = await query<{
    found: boolean;
    can_use: boolean | null;
    can_create_tables: boolean | null;
    can_create_schema: boolean;
    tables: string[];
  }>(
    client,
    tables,
    `SELECT n.oid IS NOT NULL AS found,
            has_schema_privilege(n.oid, 'USAGE') AS can_use,
            has_schema_privilege(n.oid, 'CREATE') AS can_create_tables,
            has_database_privilege(current_database(), 'CREATE') AS can_create_schema,
            ARRAY(SELECT c.relname::text FROM pg_catalog.pg_class AS c
                  WHERE c.relnamespace = n.oid AND c.relname IN ('states', 'locks')
                    AND c.relkind IN ('r', 'p')) AS tables
       FROM (SELECT $1::text AS name) AS wanted
       LEFT JOIN pg_catalog.pg_namespace AS n ON n.nspname = wanted.name`,
    [tables.schema],
  );
  const row = rows[0]!;
  return {
    exists: row.found,
    canUse: row.can_use === true,
    canCreateTables: row.can_create_tables === true,
    canCreateSchema: row.can_create_schema,
    tables: row.tables,
  };
}

/*
 * One row per state key. The document is the state exactly as the local file
 * holds it (serializeState); lineage and serial are generated from it, so that
 * they can never disagree with it and the compare-and-swap can test them. The
 * version each write replaced is kept, as the local store keeps its backup.
 */
function createStatesTable(tables: StateTables): string {
  return `CREATE TABLE ${tables.states} (
  key text PRIMARY KEY,
  document jsonb NOT NULL,
  lineage text GENERATED ALWAYS AS (document ->> 'lineage') STORED,
  serial bigint GENERATED ALWAYS AS ((document ->> 'serial')::bigint) STORED,
  previous_document jsonb,
  updated_at timestamptz NOT NULL
);
COMMENT ON TABLE ${tables.states} IS 'pgdest state, one row per state key; written only by pgdest, read it freely'`;
}

/*
 * The lock id of each state key, and who holds that lock now, for the message
 * a second run shows. The first run to lock a key adds its row, whose identity
 * column gives the key its lock id (see state-lock-key.ts); the row stays for
 * as long as the key is used, so that every run on the key locks the same id.
 * The lock itself is the session-level advisory lock: the holder columns are
 * filled while a run holds it, cleared when it gives it up, and stale, so
 * ignored, when they name a session that no longer holds it.
 */
function createLocksTable(tables: StateTables): string {
  return `CREATE TABLE ${tables.locks} (
  key text PRIMARY KEY,
  lock_id integer GENERATED ALWAYS AS IDENTITY UNIQUE,
  backend_pid integer,
  token uuid,
  host text,
  pid integer,
  command text,
  since timestamptz,
  CHECK (num_nulls(backend_pid, token, host, pid, command, since) IN (0, 6))
);
COMMENT ON TABLE ${tables.locks} IS 'pgdest state locks: the advisory lock id of each state key, and who holds it; holders whose session ended are stale. Keep the rows: a deleted row gives its key a new lock id'`;
}

async function query<R extends pg.QueryResultRow>(
  client: pg.Client,
  tables: StateTables,
  sql: string,
  params?: unknown[],
): Promise<R[]> {
  try {
    return (await client.query<R>(sql, params)).rows;
  } catch (error) {
    if (duplicateCodes.has((error as { code?: string }).code ?? '')) throw error;
    throw describeStateQueryFailure(error, tables, { ended: false, heldLock: false });
  }
}
