import type { Config } from '../config/model.ts';
import type { SessionPool } from '../database/session-pool.ts';
import type { Logger } from '../diagnostics/logger.ts';
import type { ProgressListener } from '../diagnostics/progress.ts';
import { mapWithLimit } from '../refresh/map-with-limit.ts';
import type { State } from '../state/state.ts';
import { checkDestination, type DestinationCheckContext } from './check-destination.ts';
import type { CheckReport, DestinationCheck } from './check-report.ts';
import type { TimedSession } from './reach-destination.ts';

export interface CheckOptions {
  /** The run's sessions, over its tunnels; the caller closes them. */
  sessions: SessionPool;
  /** How many destinations are checked at once. */
  parallelism: number;
  logger: Logger;
  /** The prior state, read without a lock, to compare the effective schema with; check never writes it. */
  prior?: State;
  /** Limits for the probe's statements. */
  probe?: DestinationCheckContext['probe'];
  /** Told when a destination connects, is being checked, and is done (`checked` when ready, else `failed`). */
  onProgress?: ProgressListener;
}

/**
 * Checks the named destinations, at most `parallelism` at once, and returns
 * one report per destination in the order of `names`. Destinations behind one
 * bastion share its SSH connection; destinations with the same login share a
 * session, and their probes take turns on it. Nothing is printed and nothing
 * is changed: every probe is rolled back.
 */
export async function checkDestinations(
  config: Config,
  names: readonly string[],
  options: CheckOptions,
): Promise<CheckReport> {
  const context: DestinationCheckContext = {
    sessions: options.sessions,
    logins: new Map<string, Promise<TimedSession>>(),
    logger: options.logger,
    ...(options.probe !== undefined && { probe: options.probe }),
  };
  const destinations = names.flatMap((name) => {
    const destination = config.destinations.get(name);
    return destination === undefined ? [] : [destination];
  });

  const checks = await mapWithLimit(
    destinations,
    options.parallelism,
    async (destination): Promise<DestinationCheck> => {
      const onReached = () => options.onProgress?.(destination.name, 'checking');
      options.onProgress?.(destination.name, 'connecting');
      const check = await checkDestination(
        config,
        destination,
        options.prior?.destinations[destination.name],
        { ...context, onReached },
      );
      options.logger.debug(
        'check',
        `${destination.address}: ${check.ready ? 'ready' : 'failing'} in ${check.elapsedMs} ms`,
      );
      options.onProgress?.(destination.name, check.ready ? 'checked' : 'failed');
      return check;
    },
  );
  return { destinations: checks, diagnostics: [] };
}
