import type { Config } from '../config/model.ts';
import type { Environment } from '../config/resolve-secret.ts';
import { systemEnvironment } from '../config/load-config.ts';
import { SessionPool } from '../database/session-pool.ts';
import { errorDiagnostic, UserError } from '../diagnostics/diagnostic.ts';
import { suggestion } from '../diagnostics/did-you-mean.ts';
import type { Logger } from '../diagnostics/logger.ts';
import type { Observation } from '../plan/actual.ts';
import { buildPlan } from '../plan/build-plan.ts';
import type { Plan } from '../plan/plan.ts';
import { refreshActual } from '../refresh/refresh-actual.ts';
import { describeThisRun } from '../state/describe-this-run.ts';
import { openStateStore } from '../state/open-state-store.ts';
import type { State } from '../state/state.ts';
import type { StateLock, StateStore } from '../state/state-store.ts';
import { TunnelPool } from '../tunnel/tunnel-pool.ts';
import type { RunOptions } from './run-options.ts';

/** Everything a run holds between planning and applying; `close` gives it all back. */
export interface PreparedRun {
  config: Config;
  environment: Environment;
  sessions: SessionPool;
  store: StateStore;
  prior: State | undefined;
  observations: Map<string, Observation>;
  plan: Plan;
  close(): Promise<void>;
}

/**
 * The steps every planning command shares: lock the state, read the prior
 * state, refresh the actual state of the destinations in scope through their
 * tunnels, and build the plan. The lock is held until `close`, so that
 * nothing changes state between the plan and its apply.
 */
export async function prepareRun(
  config: Config,
  options: RunOptions & { command: string; destroy?: boolean; logger: Logger; env: Readonly<Record<string, string | undefined>>; onProgress?: Parameters<typeof refreshActual>[2]['onProgress'] },
): Promise<PreparedRun> {
  const { logger } = options;
  const environment = systemEnvironment(options.env);
  const tunnels = new TunnelPool(config.bastions, { logger, homeDir: environment.homeDir, agentSocket: options.env.SSH_AUTH_SOCK });
  const sessions = new SessionPool(tunnels, { logger });
  let lock: StateLock | undefined;
  const close = async () => {
    await sessions.close();
    await lock?.release();
  };

  try {
    // The state first: a run that cannot lock it must not touch any database.
    const store = openStateStore(config.state, logger);
    lock = await store.lock(describeThisRun(options.command), options.lockTimeoutMs);
    const prior = await store.read();
    checkTargets(config, prior, options.targets);

    // Then what the databases hold, every destination in scope at once.
    const inScope = [...config.destinations.keys()].filter((name) => options.targets.length === 0 || options.targets.includes(name));
    const observations = options.destroy ? new Map<string, Observation>() : await refreshActual(config, inScope, { sessions, parallelism: options.parallelism, onProgress: options.onProgress });

    const plan = buildPlan(config, observations, prior, { targets: options.targets, destroy: options.destroy });
    return { config, environment, sessions, store, prior, observations, plan, close };
  } catch (error) {
    await close();
    throw error;
  }
}

function checkTargets(config: Config, prior: State | undefined, targets: readonly string[]): void {
  const known = new Set([...config.destinations.keys(), ...Object.keys(prior?.destinations ?? {})]);
  const unknown = targets.filter((target) => !known.has(target));
  if (unknown.length === 0) return;
  throw new UserError(
    unknown.map((target) =>
      errorDiagnostic(`Unknown target "${target}"`, {
        detail: 'Neither the config nor the state holds a destination of that name.',
        hint: suggestion(target, known) ?? `The destinations are ${[...known].join(', ') || 'none'}.`,
      }),
    ),
  );
}
