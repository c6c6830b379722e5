import type { Config } from '../config/model.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import type { State } from '../state/state.ts';
import type { Observation } from './actual.ts';
import type { Change, Plan } from './plan.ts';
import { planDeletion } from './plan-deletion.ts';
import { planDestination } from './plan-destination.ts';
import { shareLoaderSteps } from './share-loader-steps.ts';

export interface PlanOptions {
  /** Only these destinations, by name; all when absent or empty. */
  targets?: readonly string[];
  /** Plan the deletion of every destination in state, as `pgdest destroy` does. */
  destroy?: boolean;
}

/**
 * Builds the plan from the desired state (config), the actual state (what
 * refreshing observed) and the prior state (what was last applied). Pure:
 * no connection, no file, no clock.
 */
export function buildPlan(
  desired: Config,
  observations: ReadonlyMap<string, Observation>,
  prior: State | undefined,
  options: PlanOptions = {},
): Plan {
  const inScope = (name: string) => !options.targets?.length || options.targets.includes(name);
  const changes: Change[] = [];
  const diagnostics: Diagnostic[] = [];
  const priorEntries = prior?.destinations ?? {};

  // Destinations the config declares: created, updated or left alone.
  if (!options.destroy) {
    for (const destination of desired.destinations.values()) {
      if (!inScope(destination.name)) continue;
      const observation = observations.get(destination.name);
      if (!observation) throw new Error(`no observation for ${destination.address}`);
      if (observation.kind === 'unreachable') {
        diagnostics.push(
          ...observation.diagnostics.map((d) => ({ ...d, address: destination.address })),
        );
        continue;
      }
      const bastion =
        destination.bastion === undefined ? undefined : desired.bastions.get(destination.bastion);
      const planned = planDestination({
        desired: destination,
        bastion,
        actual: observation.actual,
        prior: priorEntries[destination.name],
      });
      diagnostics.push(...planned.diagnostics);
      if (planned.change) changes.push(planned.change);
    }
  }

  // Destinations that state holds and the config no longer declares, or all of them for destroy.
  for (const [name, entry] of Object.entries(priorEntries)) {
    if (!inScope(name) || (!options.destroy && desired.destinations.has(name))) continue;
    const onDelete = desired.destinations.get(name)?.onDelete ?? entry.onDelete;
    const planned = planDeletion(name, entry, onDelete);
    changes.push(planned.change);
    diagnostics.push(...planned.diagnostics);
  }

  // A role or database grant that several destinations need is planned once.
  const shared = shareLoaderSteps(changes, desired.destinations);
  diagnostics.push(...shared.diagnostics);

  return {
    changes: shared.changes,
    diagnostics,
    prior: prior ? { lineage: prior.lineage, serial: prior.serial } : null,
    configDigest: desired.digest,
  };
}
