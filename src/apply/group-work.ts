import type { Config } from '../config/model.ts';
import { sessionKey } from '../database/session-pool.ts';
import type { Change } from '../plan/plan.ts';
import { isLoaderStep } from '../plan/plan-loader-access.ts';
import { loaderKey } from '../plan/share-loader-steps.ts';
import { inspectionTargetFor } from '../refresh/session-target-for.ts';

/**
 * Changes that apply runs as one piece of work. `together` when they share a
 * session: one transaction for all of them, each on its own after a failure.
 * Otherwise they run one by one, in the order given.
 */
export interface WorkUnit {
  changes: Change[];
  together: boolean;
}

/**
 * Groups a plan's changes for apply. Deletions go one by one; the rest are
 * grouped by the session their steps run on. A plan shows a loader's role
 * and database grants once, in the first change by name that needs them
 * (see share-loader-steps.ts), so changes with that loader in other sessions
 * must run after it: their sessions are merged into one unit, run in name
 * order. Units run concurrently.
 */
export function groupWork(changes: readonly Change[], config: Config): WorkUnit[] {
  const units: WorkUnit[] = [];
  const bySession = new Map<string, Change[]>();
  for (const change of changes) {
    const destination = config.destinations.get(change.name);
    if (change.action === 'delete' || !destination) {
      units.push({ changes: [change], together: false });
      continue;
    }
    const key = sessionKey(inspectionTargetFor(destination));
    bySession.set(key, [...(bySession.get(key) ?? []), change]);
  }

  // The loaders whose role or database grants some change sets up.
  const loaderOf = (change: Change) => loaderKey(config.destinations.get(change.name)!);
  const setUp = new Set(
    [...bySession.values()]
      .flat()
      .filter((change) => change.steps.some(isLoaderStep))
      .map(loaderOf),
  );

  // Sessions that share such a loader form one unit.
  const merged: Change[][] = [];
  for (const group of bySession.values()) {
    const loaders = new Set(group.map(loaderOf).filter((key) => setUp.has(key)));
    const linked = merged.filter((other) => other.some((change) => loaders.has(loaderOf(change))));
    const unit = [...linked.flat(), ...group];
    for (const other of linked) merged.splice(merged.indexOf(other), 1);
    merged.push(unit);
  }
  for (const unit of merged) {
    const sessions = new Set(unit.map((change) => sessionOf(change, config)));
    units.push({ changes: sortedByName(unit), together: sessions.size === 1 });
  }
  return units;
}

function sessionOf(change: Change, config: Config): string {
  return sessionKey(inspectionTargetFor(config.destinations.get(change.name)!));
}

function sortedByName(changes: readonly Change[]): Change[] {
  return [...changes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
