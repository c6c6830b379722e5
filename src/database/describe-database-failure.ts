import type { DatabaseEndpoint } from '../config/model.ts';
import {
  createDatabaseError,
  readPostgresFields,
  type DatabaseConnectionError,
} from './database-connection-error.ts';

/** Who was logging in where, for messages. */
export interface LoginAttempt {
  endpoint: DatabaseEndpoint;
  user: string;
  /** Where the password comes from (`env:NAME`), or undefined when none is configured. */
  passwordOrigin: string | undefined;
  /** The bastion the session goes through, when it has one. */
  bastion: string | undefined;
}

/** `database "analytics" at 10.0.1.5:5432 through bastion "main"`. */
export function describeDatabase(attempt: LoginAttempt): string {
  const { endpoint } = attempt;
  const through = attempt.bastion === undefined ? '' : ` through bastion "${attempt.bastion}"`;
  return `database "${endpoint.name}" at ${endpoint.host}:${endpoint.port}${through}`;
}

/**
 * Turns an error from pg, from the socket or from our own timers into a
 * DatabaseConnectionError that says which step failed and what to try. The
 * SQLSTATE decides for errors PostgreSQL sent; the message for the rest.
 */
export function describeDatabaseFailure(
  error: Error,
  attempt: LoginAttempt,
): DatabaseConnectionError {
  const where = describeDatabase(attempt);
  const { user } = attempt;
  const fields = readPostgresFields(error);
  const said = fields?.message ?? error.message;

  switch (fields?.code) {
    case '28P01':
      if (attempt.passwordOrigin === undefined) return describeMissingPassword(error, attempt);
      return createDatabaseError(
        'password-refused',
        `PostgreSQL refused the login of ${user} to ${where}`,
        {
          cause: error,
          detail: `The server said: ${said}. PostgreSQL gives this answer both for a wrong password and for a role that does not exist, so as to reveal neither.`,
          hint: `Check the password that ${attempt.passwordOrigin} holds, and that the role ${user} exists (as an admin: \\du ${user} in psql).`,
        },
      );
    case '28000':
      return describeAuthorizationFailure(error, attempt, said);
    case '3D000':
      return createDatabaseError(
        'database-missing',
        `Database "${attempt.endpoint.name}" does not exist at ${attempt.endpoint.host}:${attempt.endpoint.port}`,
        {
          cause: error,
          detail: `${user} reached the server, which said: ${said}.`,
          hint: `Check the database name (psql -l lists them), or create it as an admin: CREATE DATABASE "${attempt.endpoint.name}".`,
        },
      );
    case '53300':
      return createDatabaseError(
        'too-many-connections',
        `PostgreSQL has no connection slot left for ${user} on ${where}`,
        {
          cause: error,
          detail: `The server said: ${said}.`,
          hint: "Lower --parallelism, or ask the administrator to raise max_connections or the role's connection limit.",
        },
      );
    case '57P03':
    case '57P01':
      return createDatabaseError(
        'server-unavailable',
        `PostgreSQL at ${where} is not accepting connections`,
        {
          cause: error,
          detail: `The server said: ${said}. It may be starting up, shutting down or in recovery.`,
          hint: 'Try again in a moment.',
        },
      );
  }

  if (fields !== undefined) {
    return createDatabaseError(
      'server-error',
      `PostgreSQL refused the session of ${user} on ${where}`,
      {
        cause: error,
        detail: `The server said: ${said} (SQLSTATE ${fields.code}).${fields.detail ? ` ${fields.detail}` : ''}`,
        hint:
          fields.hint ??
          'Look up the SQLSTATE in the PostgreSQL documentation, appendix "PostgreSQL Error Codes".',
      },
    );
  }
  return describeClientFailure(error, attempt);
}

function describeAuthorizationFailure(
  error: Error,
  attempt: LoginAttempt,
  said: string,
): DatabaseConnectionError {
  const where = describeDatabase(attempt);
  const { user } = attempt;
  if (/role ".*" does not exist/.test(said)) {
    return createDatabaseError('role-missing', `Role ${user} does not exist on ${where}`, {
      cause: error,
      detail: `The server said: ${said}.`,
      hint: `Check the user name, or create the role as an admin: CREATE ROLE "${user}" LOGIN PASSWORD '...' (pgdest apply does so when the destination has an admin).`,
    });
  }
  if (/not permitted to log in/.test(said)) {
    return createDatabaseError('login-not-permitted', `Role ${user} may not log in to ${where}`, {
      cause: error,
      detail: `The server said: ${said}.`,
      hint: `Give the role the LOGIN attribute as an admin: ALTER ROLE "${user}" LOGIN.`,
    });
  }
  if (/pg_hba\.conf/.test(said)) {
    const plain =
      /no encryption/.test(said) &&
      attempt.endpoint.ssl !== 'require' &&
      attempt.endpoint.ssl !== 'verify-full';
    return createDatabaseError(
      'hba-refused',
      `pg_hba.conf of the server refuses ${user} on ${where}`,
      {
        cause: error,
        detail: `The server said: ${said}. Its pg_hba.conf has no line that lets this user reach this database from the address the connection comes from${attempt.bastion === undefined ? '' : " (the bastion's, seen from the server)"}.`,
        hint: `Ask the database's administrator for a pg_hba.conf line for user ${user} and database ${attempt.endpoint.name} from that address (host ... scram-sha-256), then a reload${plain ? '; if the server only allows encrypted connections, set ssl: require' : ''}.`,
      },
    );
  }
  return createDatabaseError(
    'server-error',
    `PostgreSQL refused the login of ${user} to ${where}`,
    {
      cause: error,
      detail: `The server said: ${said} (SQLSTATE 28000).`,
      hint: "Ask the database's administrator what the server log says about this login.",
    },
  );
}

function describeMissingPassword(error: Error, attempt: LoginAttempt): DatabaseConnectionError {
  return createDatabaseError(
    'password-missing',
    `PostgreSQL asks ${attempt.user} for a password and none is configured`,
    {
      cause: error,
      detail: `${describeDatabase(attempt)} requires password authentication for ${attempt.user}, and the configuration gives no password for this login.`,
      hint: 'Add password: ${env:NAME} to the database (or admin) settings, with the password in that environment variable.',
    },
  );
}

function describeClientFailure(error: Error, attempt: LoginAttempt): DatabaseConnectionError {
  const where = describeDatabase(attempt);
  const code = (error as NodeJS.ErrnoException).code;
  if (/client password must be a (non-empty )?string/.test(error.message)) {
    return describeMissingPassword(error, attempt);
  }
  // pg's connectionTimeoutMillis destroys the stream with this message.
  if (/timeout expired/.test(error.message)) {
    return describeConnectTimeout(attempt, undefined, error);
  }

  if (
    code === 'ECONNREFUSED' ||
    code === 'EHOSTUNREACH' ||
    code === 'ENETUNREACH' ||
    code === 'ENOTFOUND' ||
    code === 'EAI_AGAIN'
  ) {
    return createDatabaseError('database-unreachable', `Cannot reach ${where}`, {
      cause: error,
      detail: `The TCP connection to ${attempt.endpoint.host}:${attempt.endpoint.port} failed (${code}).`,
      hint: 'Check host and port, that PostgreSQL listens on that address (listen_addresses), and that no firewall is in the way; a database reachable only through a bastion needs bastion: NAME.',
    });
  }

  if (
    /terminated unexpectedly|ECONNRESET|EPIPE|Connection terminated/i.test(
      `${error.message} ${code ?? ''}`,
    )
  ) {
    return createDatabaseError(
      'connection-lost',
      `The connection to ${where} closed during login`,
      {
        cause: error,
        detail: `The server, or something between, closed the connection before the session was ready: ${error.message}.`,
        hint: "Check that host:port is PostgreSQL's (not another service), and look at the server log; try again.",
      },
    );
  }

  return createDatabaseError('server-error', `Cannot open a session on ${where}`, {
    cause: error,
    detail: `Logging in as ${attempt.user} failed: ${error.message}.`,
    hint: 'Check the database settings and try again; -v shows each step of the connection.',
  });
}

/** The error for a session that was not ready within the connect timeout. */
export function describeConnectTimeout(
  attempt: LoginAttempt,
  limitMs: number | undefined,
  cause?: unknown,
): DatabaseConnectionError {
  const limit =
    limitMs === undefined ? 'the connect timeout' : `${Math.round(limitMs / 100) / 10} s`;
  return createDatabaseError(
    'connect-timeout',
    `Timed out connecting to ${describeDatabase(attempt)}`,
    {
      cause,
      detail: `The session of ${attempt.user} was not ready within ${limit}: the server accepted the connection${attempt.bastion === undefined ? '' : ' (through the tunnel)'} but did not finish TLS and the login in time.`,
      hint: "Check that host:port is PostgreSQL's and that the server is not overloaded; raise the connect timeout if the link is only slow.",
    },
  );
}
