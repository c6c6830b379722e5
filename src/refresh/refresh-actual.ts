import { formatBastionEndpoint } from '../config/endpoints.ts';
import type { Config, Destination } from '../config/model.ts';
import { inspectSchemas } from '../database/inspect-schemas.ts';
import { sessionKey, type SessionPool } from '../database/session-pool.ts';
import { UserError, type Diagnostic, type DiagnosticCode } from '../diagnostics/diagnostic.ts';
import type { ProgressListener } from '../diagnostics/progress.ts';
import {
  DatabaseConnectionError,
  type DatabaseFailure,
} from '../database/database-connection-error.ts';
import { TunnelError } from '../tunnel/tunnel-error.ts';
import type { ActualDestination, LoaderLogin, Observation, TunnelFacts } from '../plan/actual.ts';
import { mapWithLimit } from './map-with-limit.ts';
import { inspectionTargetFor, loaderLoginTargetFor } from './session-target-for.ts';

export interface RefreshOptions {
  sessions: SessionPool;
  /** How many sessions open and inspect at once. */
  parallelism: number;
  /** Told when a destination connects, is inspected, or fails, for progress lines. */
  onProgress?: ProgressListener;
}

/**
 * Reads the actual state of the named destinations through their tunnels.
 * Destinations that share a database and a login share one session and one
 * catalog query; sessions open concurrently over one SSH connection per
 * bastion. With an admin, the loader also logs in, once per database and
 * loader, at the same time as the admin: the login is the proof, so it
 * costs no query. A destination that cannot be reached gets an
 * `unreachable` observation with the diagnostic that says which hop failed.
 */
export async function refreshActual(
  config: Config,
  names: readonly string[],
  options: RefreshOptions,
): Promise<Map<string, Observation>> {
  const groups = new Map<string, Destination[]>();
  for (const name of names) {
    const destination = config.destinations.get(name);
    if (!destination) continue;
    const key = sessionKey(inspectionTargetFor(destination));
    groups.set(key, [...(groups.get(key) ?? []), destination]);
  }

  const observations = new Map<string, Observation>();
  await mapWithLimit([...groups.values()], options.parallelism, async (group) => {
    for (const destination of group) options.onProgress?.(destination.name, 'connecting');
    const logins = proveLoaderLogins(group, options.sessions);
    try {
      const session = await options.sessions.open(inspectionTargetFor(group[0]!));
      for (const destination of group) options.onProgress?.(destination.name, 'inspecting');
      const actuals = await session.exclusive((client) =>
        inspectSchemas(
          client,
          group.map((d) => ({ loader: d.database.user, schema: d.schema })),
        ),
      );
      const proven = await logins;
      group.forEach((destination, index) => {
        observations.set(destination.name, {
          kind: 'observed',
          actual: withLogin(actuals[index]!, proven[index]),
          tunnel: tunnelFacts(config, destination, options.sessions),
        });
        options.onProgress?.(destination.name, 'inspected');
      });
    } catch (error) {
      const code = failureCode(error);
      const diagnostics = diagnosticsOf(error).map((d) => ({ ...d, code }));
      for (const destination of group) {
        observations.set(destination.name, { kind: 'unreachable', diagnostics });
        options.onProgress?.(destination.name, 'failed');
      }
    }
  });
  return observations;
}

/**
 * Logs in as each destination's loader where an admin inspects, through the
 * session pool, so that destinations with the same loader on one database
 * share the login. Never rejects: a refused login is a fact for the plan,
 * which alone knows whether the role exists, and so whether it matters.
 */
function proveLoaderLogins(
  group: readonly Destination[],
  sessions: SessionPool,
): Promise<(LoaderLogin | undefined)[]> {
  return Promise.all(
    group.map((destination) => {
      const target = loaderLoginTargetFor(destination);
      if (!target) return undefined;
      return sessions.open(target).then(
        (): LoaderLogin => ({ kind: 'accepted' }),
        (error: unknown) => refusedLogin(error),
      );
    }),
  );
}

/** Why PostgreSQL refused the loader, in the terms the plan decides by. */
function refusedLogin(error: unknown): LoaderLogin {
  const reason = !(error instanceof DatabaseConnectionError)
    ? 'other'
    : error.reason === 'password-refused' && error.code === '28P01'
      ? 'password'
      : error.reason === 'login-not-permitted'
        ? 'not-permitted'
        : 'other';
  const code = failureCode(error);
  return {
    kind: 'refused',
    reason,
    diagnostics: diagnosticsOf(error).map((d) => ({ ...d, code })),
  };
}

function withLogin(actual: ActualDestination, login: LoaderLogin | undefined): ActualDestination {
  return login ? { ...actual, loader: { ...actual.loader, login } } : actual;
}

function tunnelFacts(
  config: Config,
  destination: Destination,
  sessions: SessionPool,
): TunnelFacts | undefined {
  if (destination.bastion === undefined) return undefined;
  const bastion = config.bastions.get(destination.bastion)!;
  return {
    bastion: bastion.name,
    endpoint: formatBastionEndpoint(bastion),
    hostKey: sessions.tunnels.hostKeyOf(bastion.name),
  };
}

const loginFailures: ReadonlySet<DatabaseFailure> = new Set([
  'password-refused',
  'password-missing',
  'role-missing',
  'login-not-permitted',
  'database-missing',
  'hba-refused',
]);

/** Whether a session failed on the way (tunnel, network) or at the login itself. */
function failureCode(error: unknown): DiagnosticCode {
  if (error instanceof DatabaseConnectionError)
    return loginFailures.has(error.reason) ? 'login-refused' : 'unreachable';
  if (error instanceof TunnelError) return 'unreachable';
  return 'error';
}

/** The diagnostics of a failure: a user error carries them; anything else is a query that failed. */
export function diagnosticsOf(error: unknown): Diagnostic[] {
  if (error instanceof UserError) return error.diagnostics;
  const fields = error as { message?: string; code?: string; detail?: string; hint?: string };
  return [
    {
      severity: 'error',
      summary: 'Query failed',
      detail: `PostgreSQL answered: ${fields.message ?? String(error)}${fields.code ? ` (SQLSTATE ${fields.code})` : ''}.${fields.detail ? ` ${fields.detail}` : ''}`,
      hint:
        fields.hint ?? 'Run again with -v to see each step; if it persists, check the server log.',
    },
  ];
}
