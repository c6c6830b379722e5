import type { Config } from '../config/model.ts';
import type { Environment } from '../config/resolve-secret.ts';
import { systemEnvironment } from '../config/load-config.ts';
import { SessionPool } from '../database/session-pool.ts';
import { errorDiagnostic, UserError } from '../diagnostics/diagnostic.ts';
import { suggestion } from '../diagnostics/did-you-mean.ts';
import type { Logger } from '../diagnostics/logger.ts';
import type { Observation } from '../plan/actual.ts';
import { buildPlan } from '../plan/build-plan.ts';
import { fromPlanDocument, type PlanDocument } from '../plan/plan-document.ts';
import type { Plan } from '../plan/plan.ts';
import { reconcileSavedPlan } from '../plan/reconcile-saved-plan.ts';
import { refreshActual } from '../refresh/refresh-actual.ts';
import { describeThisRun } from '../state/describe-this-run.ts';
import { openStateStore } from '../state/open-state-store.ts';
import type { State } from '../state/state.ts';
import type { StateLock, StateStore } from '../state/state-store.ts';
import { TunnelPool } from '../tunnel/tunnel-pool.ts';
import type { RunOptions } from './run-options.ts';
import { checkPlanState } from './saved-plan.ts';

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
  options: RunOptions & {
    command: string;
    destroy?: boolean;
    /** A saved plan to apply: checked against the state, then against a fresh look at the databases. */
    saved?: { document: PlanDocument; path: string };
    logger: Logger;
    env: Readonly<Record<string, string | undefined>>;
    onProgress?: Parameters<typeof refreshActual>[2]['onProgress'];
  },
): Promise<PreparedRun> {
  const { logger } = options;
  const environment = systemEnvironment(options.env);
  const tunnels = new TunnelPool(config.bastions, {
    logger,
    homeDir: environment.homeDir,
    agentSocket: options.env.SSH_AUTH_SOCK,
  });
  const sessions = new SessionPool(tunnels, { logger });
  let lock: StateLock | undefined;
  let store: StateStore | undefined;
  const close = async () => {
    await lock?.release();
    await store?.close();
    await sessions.close();
  };

  try {
    // The state first: a run that cannot lock it must not touch any database.
    store = openStateStore(config.state, { logger, tunnels });
    lock = await store.lock(describeThisRun(options.command), options.lockTimeoutMs);
    const prior = await store.read();
    if (options.saved) checkPlanState(options.saved.document, prior, options.saved.path);

    // A saved plan is applied only to what it shows, and only once a fresh
    // look at those destinations agrees with it.
    const saved = options.saved && fromPlanDocument(options.saved.document);
    const targets = saved
      ? saved.changes.filter((c) => c.action !== 'no-op').map((c) => c.name)
      : options.targets;
    const destroy = options.saved ? options.saved.document.destroy : options.destroy;
    checkTargets(config, prior, targets);

    // Then what the databases hold, every destination in scope at once.
    const inScope = [...config.destinations.keys()].filter(
      (name) => targets.length === 0 || targets.includes(name),
    );
    if (saved && targets.length === 0) {
      return {
        config,
        environment,
        sessions,
        store,
        prior,
        observations: new Map(),
        plan: { ...saved, changes: [], diagnostics: [] },
        close,
      };
    }
    const observations = destroy
      ? new Map<string, Observation>()
      : await refreshActual(config, inScope, {
          sessions,
          parallelism: options.parallelism,
          onProgress: options.onProgress,
        });

    const fresh = buildPlan(config, observations, prior, { targets, destroy });
    const plan = saved ? { ...fresh, ...reconcileSavedPlan(saved, fresh) } : fresh;
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
        hint:
          suggestion(target, known) ?? `The destinations are ${[...known].join(', ') || 'none'}.`,
      }),
    ),
  );
}
