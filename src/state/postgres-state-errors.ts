import { readPostgresFields } from '../database/database-connection-error.ts';
import { errorDiagnostic, UserError } from '../diagnostics/diagnostic.ts';
import type { StateTables } from './describe-state-tables.ts';
import { quoteIdentifier } from '../plan/step-sql.ts';
import { describeLockHolder } from './state-errors.ts';
import type { LockHolder } from './state-store.ts';

/*
 * The errors only the PostgreSQL store raises. Those both backends share
 * (state changed, state locked) are in state-errors.ts.
 */

/** The schema is missing and the login may not create schemas in the database. */
export function schemaCreationError(tables: StateTables): UserError {
  const { schema, database } = tables;
  return new UserError(
    errorDiagnostic(`Cannot create the state schema "${schema}"`, {
      detail: `Schema "${schema}" does not exist in database "${database.name}" at ${database.host}:${database.port}, and ${database.user} may not create it: it lacks CREATE on the database.`,
      hint: `As an admin, create the schema for pgdest (CREATE SCHEMA ${quoteIdentifier(schema)} AUTHORIZATION ${quoteIdentifier(database.user)}), or let it create schemas (GRANT CREATE ON DATABASE ${quoteIdentifier(database.name)} TO ${quoteIdentifier(database.user)}), or set state.schema to a schema it owns.`,
    }),
  );
}

/** The schema exists, but the login may not look into it. */
export function schemaUsageError(tables: StateTables): UserError {
  const { schema, database } = tables;
  return new UserError(
    errorDiagnostic(`Cannot use the state schema "${schema}"`, {
      detail: `Schema "${schema}" exists in database "${database.name}", but ${database.user} lacks USAGE on it, so pgdest can neither read nor write its state there.`,
      hint: `As the schema's owner or an admin: ${describeGrants(tables)}.`,
    }),
  );
}

/** The tables are missing and the login may not create tables in the schema. */
export function tableCreationError(tables: StateTables): UserError {
  const { schema, database } = tables;
  return new UserError(
    errorDiagnostic(`Cannot create the state tables in schema "${schema}"`, {
      detail: `The tables ${tables.states} and ${tables.locks} do not exist yet, and ${database.user} may not create them: it lacks CREATE on schema "${schema}".`,
      hint: `As the schema's owner or an admin: GRANT USAGE, CREATE ON SCHEMA ${quoteIdentifier(schema)} TO ${quoteIdentifier(database.user)}; or set state.schema to a schema it owns.`,
    }),
  );
}

/**
 * Turns an error from a query on the state tables into what the user can act
 * on. Keeps the original as `cause`, with every field PostgreSQL sent.
 */
export function describeStateQueryFailure(
  error: unknown,
  tables: StateTables,
  session: { ended: boolean; heldLock: boolean },
): Error {
  if (error instanceof UserError) return error;
  if (session.ended || isConnectionLoss(error)) {
    return withCause(
      session.heldLock ? lockLostError(tables) : connectionLostError(tables, error),
      error,
    );
  }

  const fields = readPostgresFields(error);
  if (fields === undefined) return error instanceof Error ? error : new Error(String(error));
  const { database } = tables;
  if (fields.code === '42501') {
    return withCause(
      new UserError(
        errorDiagnostic(`${database.user} may not use the state tables`, {
          detail: `PostgreSQL refused a query on the state in database "${database.name}": ${fields.message}. The tables were probably created by another login.`,
          hint: `As the tables' owner or an admin: ${describeGrants(tables)}.`,
        }),
      ),
      error,
    );
  }
  return withCause(
    new UserError(
      errorDiagnostic('The state database refused a query', {
        detail: `PostgreSQL said, about the state at ${tables.location}: ${fields.message} (SQLSTATE ${fields.code}).${fields.detail ? ` ${fields.detail}` : ''}`,
        hint:
          fields.hint ??
          `Check that ${tables.states} and ${tables.locks} are the tables pgdest created; a table of the same name made for something else cannot hold the state.`,
      }),
    ),
    error,
  );
}

/** The session that held the lock ended, so another run may hold the lock by now. */
export function lockLostError(tables: StateTables): UserError {
  return new UserError(
    errorDiagnostic('State lock was lost', {
      detail: `The session that held the lock on the state at ${tables.location} has ended, by \`pgdest state unlock\` in another run or because the connection broke, so another run may hold the lock now. This run read and wrote nothing more after that.`,
      hint: 'Run the command again; it starts from the state as the last run left it.',
    }),
  );
}

function connectionLostError(tables: StateTables, error: unknown): UserError {
  const said = error instanceof Error ? error.message : String(error);
  return new UserError(
    errorDiagnostic('Lost the connection to the state database', {
      detail: `The session with the state at ${tables.location} ended during a query (${said}). Nothing is known to have been written by that query.`,
      hint: 'Check that the database and, if any, the bastion are up, then run the command again.',
    }),
  );
}

/**
 * The key's row in the locks table no longer gives the lock id this run
 * locked: someone deleted it, and another run may have allocated a new id
 * for the key and be holding that.
 */
export function lockRowChangedError(tables: StateTables, lockId: number): UserError {
  return new UserError(
    errorDiagnostic('State lock record changed while locking', {
      detail: `This run took lock id ${lockId} of the state at ${tables.location}, but the row of key "${tables.key}" in ${tables.locks} no longer gives that id: it was deleted or replaced by hand. This run gave the lock up and read and wrote nothing.`,
      hint: `Run the command again. Leave the rows of ${tables.locks} in place: each gives the lock id that keeps the runs on its key apart.`,
    }),
  );
}

/** `pgdest state unlock` will not end a session it cannot tell is a pgdest run on this state. */
export function unknownHolderError(tables: StateTables, backendPid: number): UserError {
  return new UserError(
    errorDiagnostic('Cannot tell who holds the state lock', {
      detail: `The lock on the state at ${tables.location} is held by database session ${backendPid}, which has not recorded who it is: it may be a run that is taking the lock at this very moment. pgdest ends only sessions it knows are its own runs on this state.`,
      hint: `Try again in a moment; if it stays held and you are sure that session is dead, ask an admin to run SELECT pg_terminate_backend(${backendPid}).`,
    }),
  );
}

/** The login may not end the session that holds the lock. */
export function terminateRefusedError(
  tables: StateTables,
  backendPid: number,
  holder: LockHolder,
  cause: unknown,
): UserError {
  return withCause(
    new UserError(
      errorDiagnostic('Cannot end the session that holds the state lock', {
        detail: `The lock on the state at ${tables.location} is held by ${describeLockHolder(holder)}, through database session ${backendPid}, and ${tables.database.user} may not end that session: it belongs to another login.`,
        hint: `Run \`pgdest state unlock\` with the login that run used, or ask an admin to run SELECT pg_terminate_backend(${backendPid}).`,
      }),
    ),
    cause,
  );
}

/** The session was told to end but still holds the lock after the wait. */
export function sessionStillHoldsError(
  tables: StateTables,
  backendPid: number,
  waitedMs: number,
): UserError {
  return new UserError(
    errorDiagnostic('The session that holds the state lock did not end', {
      detail: `pgdest asked PostgreSQL to end database session ${backendPid}, which holds the lock on the state at ${tables.location}, but it still held the lock ${waitedMs} ms later.`,
      hint: `Run \`pgdest state unlock\` again in a moment, or ask an admin to look at that session (SELECT * FROM pg_stat_activity WHERE pid = ${backendPid}).`,
    }),
  );
}

function describeGrants(tables: StateTables): string {
  const user = quoteIdentifier(tables.database.user);
  return `GRANT USAGE ON SCHEMA ${quoteIdentifier(tables.schema)} TO ${user}; GRANT SELECT, INSERT, UPDATE, DELETE ON ${tables.states}, ${tables.locks} TO ${user}`;
}

// Errors with which pg rejects a query when the session is gone: the
// server's "terminating connection" (class 57P0), a broken connection (class
// 08), or the client's own messages once the socket has closed.
function isConnectionLoss(error: unknown): boolean {
  const code = readPostgresFields(error)?.code;
  if (code !== undefined) return /^(57P0[1-3]|08...)$/.test(code);
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|not queryable|ECONNRESET|EPIPE|socket hang up|stream (?:was )?(?:closed|destroyed)/i.test(
    message,
  );
}

function withCause<T extends Error>(error: T, cause: unknown): T {
  error.cause = cause;
  return error;
}
