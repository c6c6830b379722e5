import { formatBastionEndpoint, formatDatabaseEndpoint } from '../config/endpoints.ts';
import type { Config, Destination } from '../config/model.ts';
import { sessionKey, type Session, type SessionPool } from '../database/session-pool.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { diagnosticsOf } from '../refresh/refresh-actual.ts';
import { loaderTargetFor } from '../refresh/session-target-for.ts';
import type { Hop } from '../tunnel/hop.ts';
import type { TunnelPool } from '../tunnel/tunnel-pool.ts';
import type { CheckHop } from './check-report.ts';

/** A loader session and how long it took to open, shared by destinations with the same login. */
export interface TimedSession {
  session: Session;
  elapsedMs: number;
}

/** What a run of check shares between destinations: the pools and the logins already timed. */
export interface ReachContext {
  sessions: SessionPool;
  /** Keyed by sessionKey; one open (and one timing) per distinct login. */
  logins: Map<string, Promise<TimedSession>>;
}

/** The loader's session with every hop on the way, or the hop that failed and why. */
export type Reach =
  | { kind: 'reached'; hops: CheckHop[]; session: Session }
  | { kind: 'failed'; hops: CheckHop[]; diagnostics: Diagnostic[] };

/**
 * Opens the way to a destination as its loader, timing each hop: the
 * bastions first (their SSH connections are shared by the run, so each is
 * timed once), then the channel and login to the database. Check always logs
 * in as the loader, never as the admin, since it proves what the loader can
 * do. A failure names the hop it happened at and carries the diagnostic.
 */
export async function reachDestination(
  config: Config,
  destination: Destination,
  context: ReachContext,
): Promise<Reach> {
  const { tunnels } = context.sessions;
  const target = loaderTargetFor(destination);
  const login: CheckHop = {
    kind: 'database',
    name: destination.database.name,
    endpoint: `${destination.database.user}@${formatDatabaseEndpoint(destination.database)}`,
    status: 'not-tried',
  };

  // The bastions, outermost first; the pool remembers a failed attempt.
  let bastions: CheckHop[] = [];
  if (destination.bastion !== undefined) {
    try {
      await tunnels.connect(destination.bastion);
      bastions = tunnels.describeHops(destination.bastion).map(toCheckHop);
    } catch (error) {
      const diagnostics = diagnosticsOf(error);
      return {
        kind: 'failed',
        hops: [
          ...traceFailedChain(config, destination.bastion, tunnels, diagnostics[0]?.summary),
          login,
        ],
        diagnostics,
      };
    }
  }

  // The channel to the database and the login, once per distinct login.
  const key = sessionKey(target);
  let pending = context.logins.get(key);
  if (pending === undefined) {
    const started = performance.now();
    pending = context.sessions
      .open(target)
      .then((session) => ({ session, elapsedMs: Math.round(performance.now() - started) }));
    pending.catch(() => {});
    context.logins.set(key, pending);
  }
  try {
    const { session, elapsedMs } = await pending;
    return { kind: 'reached', hops: [...bastions, { ...login, status: 'ok', elapsedMs }], session };
  } catch (error) {
    const diagnostics = diagnosticsOf(error);
    return {
      kind: 'failed',
      hops: [...bastions, { ...login, status: 'failed', ...failureOf(diagnostics) }],
      diagnostics,
    };
  }
}

function toCheckHop(hop: Hop): CheckHop {
  return {
    kind: 'bastion',
    name: hop.bastion,
    endpoint: hop.endpoint,
    hostKey: hop.hostKey,
    status: 'ok',
    elapsedMs: hop.connectedMs,
  };
}

/**
 * The chain to a bastion that failed to connect: the outer hops that did
 * connect, the first that did not (the one that failed), and the rest as not
 * tried.
 */
function traceFailedChain(
  config: Config,
  bastionName: string,
  tunnels: TunnelPool,
  failure: string | undefined,
): CheckHop[] {
  const chain: string[] = [];
  for (
    let name: string | undefined = bastionName;
    name !== undefined && chain.length <= config.bastions.size;
    name = config.bastions.get(name)?.via
  ) {
    chain.unshift(name);
  }
  let failed = false;
  return chain.map((name): CheckHop => {
    const connected = failed ? undefined : tunnels.describeHops(name).at(-1);
    if (connected !== undefined) return toCheckHop(connected);
    const bastion = config.bastions.get(name)!;
    const hop: CheckHop = {
      kind: 'bastion',
      name,
      endpoint: formatBastionEndpoint(bastion),
      status: failed ? 'not-tried' : 'failed',
    };
    if (!failed && failure !== undefined) hop.failure = failure;
    failed = true;
    return hop;
  });
}

function failureOf(diagnostics: readonly Diagnostic[]): { failure?: string } {
  const summary = diagnostics[0]?.summary;
  return summary === undefined ? {} : { failure: summary };
}
