import type pg from 'pg';
import type { ActualDestination, SchemaFacts } from '../plan/actual.ts';

/** One destination to inspect on a session: its loader role and declared schema. */
export interface InspectionTarget {
  loader: string;
  schema: string;
}

// How many names of foreign tables a schema's facts carry; the count is exact.
const foreignTableNames = 20;

/*
 * One round trip for every destination that shares a session. The OID forms
 * of the privilege functions return NULL for a schema or role that does not
 * exist, where the name forms raise an error. Tables count as foreign when
 * the loader is not their owner nor a member of the owning role, since only
 * then may it ALTER or DROP them.
 */
const inspectionQuery = `
WITH target(loader, schema_name, ord) AS (
  SELECT * FROM unnest($1::text[], $2::text[]) WITH ORDINALITY
)
SELECT
  current_setting('server_version') AS server_version,
  current_setting('server_version_num')::int AS server_version_num,
  current_user AS inspected_as,
  d.datname AS database_name,
  r.oid IS NOT NULL AS loader_exists,
  coalesce(r.rolcanlogin, false) AS loader_can_login,
  coalesce(r.rolsuper, false) AS loader_superuser,
  coalesce(has_database_privilege(r.oid, d.oid, 'CONNECT'), false) AS database_connect,
  coalesce(has_database_privilege(r.oid, d.oid, 'CREATE'), false) AS database_create,
  s.oid IS NOT NULL AS schema_exists,
  pg_get_userbyid(s.nspowner) AS schema_owner,
  coalesce(has_schema_privilege(r.oid, s.oid, 'USAGE'), false) AS schema_usage,
  coalesce(has_schema_privilege(r.oid, s.oid, 'CREATE'), false) AS schema_create,
  sf.names AS schema_foreign_names,
  coalesce(sf.count, 0) AS schema_foreign_count,
  p.oid IS NOT NULL AS public_exists,
  pg_get_userbyid(p.nspowner) AS public_owner,
  coalesce(has_schema_privilege(r.oid, p.oid, 'USAGE'), false) AS public_usage,
  coalesce(has_schema_privilege(r.oid, p.oid, 'CREATE'), false) AS public_create,
  pf.names AS public_foreign_names,
  coalesce(pf.count, 0) AS public_foreign_count
FROM target
JOIN pg_catalog.pg_database d ON d.datname = current_database()
LEFT JOIN pg_catalog.pg_roles r ON r.rolname = target.loader
LEFT JOIN pg_catalog.pg_namespace s ON s.nspname = target.schema_name
LEFT JOIN pg_catalog.pg_namespace p ON p.nspname = 'public'
LEFT JOIN LATERAL (
  SELECT count(*)::int AS count, (array_agg(c.relname::text ORDER BY c.relname))[1:${foreignTableNames}] AS names
  FROM pg_catalog.pg_class c
  WHERE c.relnamespace = s.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
    AND NOT coalesce(pg_has_role(r.oid, c.relowner, 'USAGE'), false)
) sf ON true
LEFT JOIN LATERAL (
  SELECT count(*)::int AS count, (array_agg(c.relname::text ORDER BY c.relname))[1:${foreignTableNames}] AS names
  FROM pg_catalog.pg_class c
  WHERE c.relnamespace = p.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
    AND NOT coalesce(pg_has_role(r.oid, c.relowner, 'USAGE'), false)
) pf ON true
ORDER BY target.ord`;

interface InspectionRow {
  server_version: string;
  server_version_num: number;
  inspected_as: string;
  database_name: string;
  loader_exists: boolean;
  loader_can_login: boolean;
  loader_superuser: boolean;
  database_connect: boolean;
  database_create: boolean;
  schema_exists: boolean;
  schema_owner: string | null;
  schema_usage: boolean;
  schema_create: boolean;
  schema_foreign_names: string[] | null;
  schema_foreign_count: number;
  public_exists: boolean;
  public_owner: string | null;
  public_usage: boolean;
  public_create: boolean;
  public_foreign_names: string[] | null;
  public_foreign_count: number;
}

/**
 * Reads the actual state of every target on one session, in one query: the
 * server version, the loader's role and privileges on the database, and the
 * declared schema and public with the loader's privileges in each.
 */
export async function inspectSchemas(
  client: pg.Client,
  targets: readonly InspectionTarget[],
): Promise<ActualDestination[]> {
  if (targets.length === 0) return [];
  const result = await client.query<InspectionRow>(inspectionQuery, [
    targets.map((t) => t.loader),
    targets.map((t) => t.schema),
  ]);
  return result.rows.map((row, index) => toActual(row, targets[index]!));
}

function toActual(row: InspectionRow, target: InspectionTarget): ActualDestination {
  const facts = (prefix: 'schema' | 'public', name: string): SchemaFacts => ({
    name,
    exists: row[`${prefix}_exists`],
    owner: row[`${prefix}_owner`] ?? undefined,
    usage: row[`${prefix}_usage`],
    create: row[`${prefix}_create`],
    foreignTables: row[`${prefix}_foreign_names`] ?? [],
    foreignTableCount: row[`${prefix}_foreign_count`],
  });
  return {
    serverVersion: row.server_version,
    serverVersionNum: row.server_version_num,
    inspectedAs: row.inspected_as,
    loader: {
      name: target.loader,
      exists: row.loader_exists,
      canLogin: row.loader_can_login,
      superuser: row.loader_superuser,
    },
    database: {
      name: row.database_name,
      connect: row.database_connect,
      create: row.database_create,
    },
    schema: facts('schema', target.schema),
    public: facts('public', 'public'),
  };
}
