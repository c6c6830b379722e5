import { errorDiagnostic, UserError, type Diagnostic } from '../diagnostics/diagnostic.ts';

/** Why a database session could not be opened, one value per thing the user can fix. */
export type DatabaseFailure =
  | 'database-unreachable'
  | 'connect-timeout'
  | 'tls-not-offered'
  | 'tls-failed'
  | 'password-refused'
  | 'password-missing'
  | 'role-missing'
  | 'login-not-permitted'
  | 'database-missing'
  | 'hba-refused'
  | 'too-many-connections'
  | 'server-unavailable'
  | 'connection-lost'
  | 'server-error';

/** Every field of a PostgreSQL ErrorResponse that pg exposes, kept as the server sent it. */
export interface PostgresErrorFields {
  severity?: string;
  code?: string;
  message?: string;
  detail?: string;
  hint?: string;
  position?: string;
  internalPosition?: string;
  internalQuery?: string;
  where?: string;
  schema?: string;
  table?: string;
  column?: string;
  dataType?: string;
  constraint?: string;
  file?: string;
  line?: string;
  routine?: string;
}

const postgresFieldNames: ReadonlyArray<keyof PostgresErrorFields> = [
  'severity',
  'code',
  'message',
  'detail',
  'hint',
  'position',
  'internalPosition',
  'internalQuery',
  'where',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'file',
  'line',
  'routine',
];

/**
 * A database session that could not be opened: the diagnostic the user reads,
 * the SQLSTATE and every field PostgreSQL sent when the server refused, and the
 * pg error, scrubbed of secrets, as `cause`.
 */
export class DatabaseConnectionError extends UserError {
  readonly reason: DatabaseFailure;
  /** The SQLSTATE, such as `28P01`, when PostgreSQL answered with an error. */
  readonly code: string | undefined;
  /** The fields of PostgreSQL's ErrorResponse, when it sent one. */
  readonly postgres: PostgresErrorFields | undefined;

  constructor(reason: DatabaseFailure, diagnostic: Diagnostic, cause?: unknown) {
    super(diagnostic);
    this.name = 'DatabaseConnectionError';
    this.reason = reason;
    this.postgres = readPostgresFields(cause);
    this.code = this.postgres?.code;
    if (cause !== undefined) this.cause = cause;
  }

  /** The one diagnostic this error carries. */
  get diagnostic(): Diagnostic {
    return this.diagnostics[0]!;
  }
}

/** Builds a DatabaseConnectionError from its parts, so that call sites read as the message. */
export function createDatabaseError(
  reason: DatabaseFailure,
  summary: string,
  fields: { detail: string; hint: string; cause?: unknown },
): DatabaseConnectionError {
  return new DatabaseConnectionError(
    reason,
    errorDiagnostic(summary, { detail: fields.detail, hint: fields.hint }),
    fields.cause,
  );
}

/** The ErrorResponse fields of a pg DatabaseError, or undefined for any other error. */
export function readPostgresFields(error: unknown): PostgresErrorFields | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const record = error as Record<string, unknown>;
  if (
    typeof record.code !== 'string' ||
    !/^[0-9A-Z]{5}$/.test(record.code) ||
    typeof record.severity !== 'string'
  ) {
    return undefined;
  }
  const fields: PostgresErrorFields = {};
  for (const name of postgresFieldNames) {
    const value = record[name];
    if (typeof value === 'string') fields[name] = value;
  }
  return fields;
}
