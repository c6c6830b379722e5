import type { Config, Destination } from '../config/model.ts';
import type { Environment } from '../config/resolve-secret.ts';
import type { SessionPool } from '../database/session-pool.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import type { ProgressListener } from '../diagnostics/progress.ts';
import type { Observation } from '../plan/actual.ts';
import type { Change, Plan } from '../plan/plan.ts';
import { diagnosticsOf } from '../refresh/refresh-actual.ts';
import { mapWithLimit } from '../refresh/map-with-limit.ts';
import { inspectionTargetFor } from '../refresh/session-target-for.ts';
import { recordDestination } from '../state/record-destination.ts';
import { runDeletion } from './run-deletion.ts';
import { runSteps } from './run-steps.ts';
import type { StateRecorder } from './state-recorder.ts';

export interface ApplyContext {
  config: Config;
  sessions: SessionPool;
  /** What refreshing observed, which the plan was built from. */
  observations: ReadonlyMap<string, Observation>;
  recorder: StateRecorder;
  parallelism: number;
  /** Reads the secrets of destinations the config no longer declares. */
  environment: Environment;
  now?: () => Date;
  onProgress?: ProgressListener;
}

export interface ApplyResult {
  /** The changes applied and recorded in state. */
  applied: Change[];
  /** Errors (one or more per failed destination) and warnings, with addresses. */
  diagnostics: Diagnostic[];
}

/**
 * Applies a plan's changes concurrently. Each destination's result is written
 * to state as soon as it is done; one destination failing does not stop the
 * others, and a later apply continues from what state then holds.
 */
export async function applyPlan(plan: Plan, context: ApplyContext): Promise<ApplyResult> {
  const applied: Change[] = [];
  const diagnostics: Diagnostic[] = [];
  const changes = plan.changes.filter((change) => change.action !== 'no-op');

  await mapWithLimit(changes, context.parallelism, async (change) => {
    context.onProgress?.(change.name, 'applying');
    try {
      const outcome = await applyChange(change, context);
      diagnostics.push(...outcome.diagnostics);
      applied.push(outcome.change);
      context.onProgress?.(change.name, 'applied');
    } catch (error) {
      diagnostics.push(...diagnosticsOf(error).map((d) => ({ ...d, address: change.address })));
      context.onProgress?.(change.name, 'failed');
    }
  });
  applied.sort((a, b) => (a.name < b.name ? -1 : 1));
  return { applied, diagnostics };
}

/** Applies one change; returns it as applied (its outcome may differ, after a fallback at apply time). */
async function applyChange(
  change: Change,
  context: ApplyContext,
): Promise<{ change: Change; diagnostics: Diagnostic[] }> {
  if (change.action === 'delete') {
    if (change.steps.length > 0) await runDeletion(change, context);
    await context.recorder.remove(change.name);
    return { change, diagnostics: [] };
  }

  const destination = context.config.destinations.get(change.name);
  const observation = context.observations.get(change.name);
  if (!destination || observation?.kind !== 'observed')
    throw new Error(`${change.address} was planned without being observed`);

  const session = await context.sessions.open(inspectionTargetFor(destination));
  const outcome = await runSteps(change, destination, observation.actual, session);
  await context.recorder.record(
    change.name,
    recordDestination({
      destination,
      bastion: bastionOf(context.config, destination),
      hostKeySeen:
        observation.tunnel?.hostKey ??
        context.sessions.tunnels.hostKeyOf(destination.bastion ?? ''),
      effectiveSchema: outcome.effectiveSchema,
      serverVersion: observation.actual.serverVersion,
      appliedAt: (context.now ?? (() => new Date()))(),
    }),
  );
  const after = change.after && {
    ...change.after,
    effective_schema: outcome.effectiveSchema,
    fallback: outcome.effectiveSchema !== destination.schema,
  };
  return {
    change: { ...change, after },
    diagnostics: outcome.diagnostics.map((d) => ({ ...d, address: change.address })),
  };
}

function bastionOf(config: Config, destination: Destination) {
  return destination.bastion === undefined ? undefined : config.bastions.get(destination.bastion);
}
