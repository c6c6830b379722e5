import { quoteIdentifier } from '../plan/step-sql.ts';

/** The state database as the configuration names it. */
export interface StateDatabase {
  host: string;
  port: number;
  name: string;
  /** The login pgdest uses, named in the GRANTs that hints suggest. */
  user: string;
}

/** Where a PostgreSQL store keeps one state, spelt for SQL and for messages. */
export interface StateTables {
  schema: string;
  key: string;
  database: StateDatabase;
  /** `postgres://host:port/name#key`, with the schema when it is not the default. */
  location: string;
  /** The quoted, schema-qualified table names, ready for SQL. */
  states: string;
  locks: string;
}

/** The schema the configuration's `state.schema` defaults to. */
export const defaultStateSchema = 'pgdest';

/** Names the tables and the location of the state kept under `key` in `schema`. */
export function describeStateTables(
  database: StateDatabase,
  schema: string,
  key: string,
): StateTables {
  const host = database.host.includes(':') ? `[${database.host}]` : database.host;
  const inSchema = schema === defaultStateSchema ? '' : ` (schema "${schema}")`;
  return {
    schema,
    key,
    database,
    location: `postgres://${host}:${database.port}/${database.name}#${key}${inSchema}`,
    states: `${quoteIdentifier(schema)}.${quoteIdentifier('states')}`,
    locks: `${quoteIdentifier(schema)}.${quoteIdentifier('locks')}`,
  };
}
