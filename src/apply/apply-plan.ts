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
import { groupWork } from './group-work.ts';
import { LoaderStepHandover } from './loader-step-handover.ts';
import { runDeletion } from './run-deletion.ts';
import { runSteps, runStepsTogether } from './run-steps.ts';
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
 * Applies a plan's changes. Destinations that share a session (a database and
 * a login) are applied together, their steps in one transaction sent as one
 * message; sessions work concurrently, up to the parallelism, except those
 * that wait for a shared loader's role (see group-work.ts). Each
 * destination's result is written to state as soon as it is done; one
 * destination failing does not stop the others, and a later apply continues
 * from what state then holds.
 */
export async function applyPlan(plan: Plan, context: ApplyContext): Promise<ApplyResult> {
  const applied: Change[] = [];
  const diagnostics: Diagnostic[] = [];
  const changes = plan.changes.filter((change) => change.action !== 'no-op');

  const succeed = (outcome: { change: Change; diagnostics: Diagnostic[] }) => {
    diagnostics.push(...outcome.diagnostics);
    applied.push(outcome.change);
    context.onProgress?.(outcome.change.name, 'applied');
  };
  const fail = (change: Change, error: unknown) => {
    diagnostics.push(...diagnosticsOf(error).map((d) => ({ ...d, address: change.address })));
    context.onProgress?.(change.name, 'failed');
  };

  await mapWithLimit(groupWork(changes, context.config), context.parallelism, async (unit) => {
    const group = unit.changes;
    for (const change of group) context.onProgress?.(change.name, 'applying');
    const together = unit.together && (await applyTogether(group, context).catch(() => false));
    if (together) {
      // Recorded at once, so that the recorder writes them in one go.
      await Promise.all(
        group.map((change) =>
          recordChange(change, change.after!.effective_schema, [], context).then(succeed, (error) =>
            fail(change, error),
          ),
        ),
      );
      return;
    }

    // One by one, in name order: a change that sets up a shared loader runs
    // before those that need it, and if it fails, the next one that needs
    // the loader runs its loader steps instead.
    const handOver = new LoaderStepHandover(context.config);
    for (const change of group) {
      const taking = handOver.stepsFor(change);
      await applyChange({ ...change, steps: [...taking, ...change.steps] }, context).then(
        (outcome) => {
          handOver.settle(taking);
          succeed(outcome);
        },
        (error) => {
          handOver.leave(change);
          fail(change, error);
        },
      );
    }
  });
  applied.sort((a, b) => (a.name < b.name ? -1 : 1));
  return { applied, diagnostics };
}

/**
 * Runs the steps of a group of creations and updates that share a session
 * in one round trip. False when the group is a single change or a deletion
 * (applied on its own), or when a statement failed (nothing was changed, and
 * each change is then applied on its own, which tells the failures apart).
 */
async function applyTogether(group: Change[], context: ApplyContext): Promise<boolean> {
  if (group.length < 2) return false;
  if (group.some((change) => context.observations.get(change.name)?.kind !== 'observed'))
    return false;
  const members = group.map((change) => ({
    change,
    destination: context.config.destinations.get(change.name)!,
  }));
  const session = await context.sessions.open(inspectionTargetFor(members[0]!.destination));
  return runStepsTogether(members, session);
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
  return recordChange(change, outcome.effectiveSchema, outcome.diagnostics, context);
}

/** Writes an applied change to state; returns it with the schema it ended up using. */
async function recordChange(
  change: Change,
  effectiveSchema: string,
  outcomeDiagnostics: Diagnostic[],
  context: ApplyContext,
): Promise<{ change: Change; diagnostics: Diagnostic[] }> {
  const destination = context.config.destinations.get(change.name);
  const observation = context.observations.get(change.name);
  if (!destination || observation?.kind !== 'observed')
    throw new Error(`${change.address} was planned without being observed`);
  await context.recorder.record(
    change.name,
    recordDestination({
      destination,
      bastion: bastionOf(context.config, destination),
      hostKeySeen:
        observation.tunnel?.hostKey ??
        context.sessions.tunnels.hostKeyOf(destination.bastion ?? ''),
      effectiveSchema,
      serverVersion: observation.actual.serverVersion,
      appliedAt: (context.now ?? (() => new Date()))(),
    }),
  );
  const after = change.after && {
    ...change.after,
    effective_schema: effectiveSchema,
    fallback: effectiveSchema !== destination.schema,
  };
  return {
    change: { ...change, after },
    diagnostics: outcomeDiagnostics.map((d) => ({ ...d, address: change.address })),
  };
}

function bastionOf(config: Config, destination: Destination) {
  return destination.bastion === undefined ? undefined : config.bastions.get(destination.bastion);
}
