import type { Destination } from '../config/model.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { changedAttributes } from './attributes.ts';
import type { Change, Step } from './plan.ts';
import { describeTracking } from './plan-destination.ts';
import { isLoaderStep, reasonForLoaderStep } from './plan-loader-access.ts';

/**
 * Where a loader's role lives: one PostgreSQL server, as the config reaches
 * it. Destinations with the same key and the same admin-managed loader share
 * its role, and those in one database share its database grants too.
 */
export function loaderKey(destination: Destination): string {
  const { database } = destination;
  return JSON.stringify([destination.bastion ?? '', database.host, database.port, database.user]);
}

/** A loader step's identity across destinations: its server and its SQL. */
export function loaderStepKey(destination: Destination, step: Step): string {
  return `${loaderKey(destination)} ${step.sql}`;
}

/**
 * Plans each loader step once. Several destinations that share a loader each
 * find its role missing (or a grant on their database), but the role is
 * created once: the first change by name that needs a step keeps it, and the
 * others drop it with its reason, since apply runs them after that one (see
 * apply-plan.ts). A change left with nothing to do becomes a no-op. Pure.
 *
 * A role that pgdest is to create for destinations that configure different
 * passwords could never let them all log in: each of them gets an error and
 * no change. So does a destination that would set the role's password to one
 * that another destination with the same loader does not configure, since
 * that would lock the other out, and the next plan would set it back.
 */
export function shareLoaderSteps(
  changes: readonly Change[],
  destinations: ReadonlyMap<string, Destination>,
): { changes: Change[]; diagnostics: Diagnostic[] } {
  const conflicts = findPasswordConflicts(changes, destinations);
  const owners = new Set<string>();
  const shared: Change[] = [];

  for (const change of sortedByName(changes)) {
    const destination = destinations.get(change.name);
    if (!destination || change.action === 'delete') {
      shared.push(change);
      continue;
    }
    if (conflicts.has(change.name)) continue;
    const dropped = change.steps.filter(
      (step) => isLoaderStep(step) && owners.has(loaderStepKey(destination, step)),
    );
    for (const step of change.steps)
      if (isLoaderStep(step)) owners.add(loaderStepKey(destination, step));
    shared.push(dropped.length === 0 ? change : withoutSteps(change, dropped));
  }

  const diagnostics = [...conflicts.values()];
  return { changes: shared, diagnostics };
}

/** The change without the steps another change runs, nor their reasons. */
function withoutSteps(change: Change, dropped: readonly Step[]): Change {
  const droppedReasons = new Set(dropped.map((step) => reasonForLoaderStep(step, true)));
  const steps = change.steps.filter((step) => !dropped.includes(step));
  const reasons = change.reasons.filter((reason) => !droppedReasons.has(reason));
  if (change.action === 'create') {
    const after = change.after!;
    const tracking = after.effective_schema === after.schema && reasons.length === 0;
    return { ...change, steps, reasons: tracking ? [describeTracking(after.schema)] : reasons };
  }
  const changed = change.before && change.after && changedAttributes(change.before, change.after);
  const action = steps.length > 0 || (changed?.length ?? 0) > 0 ? 'update' : 'no-op';
  return { ...change, action, steps, reasons, drift: steps.length > 0 };
}

/**
 * The destinations whose loader pgdest is to create with a password that
 * another destination sharing the role does not configure, by name.
 */
function findPasswordConflicts(
  changes: readonly Change[],
  destinations: ReadonlyMap<string, Destination>,
): Map<string, Diagnostic> {
  const creators = new Map<string, Destination[]>();
  for (const change of changes) {
    const destination = destinations.get(change.name);
    if (!destination || !change.steps.some((step) => step.kind === 'create-role')) continue;
    const key = loaderKey(destination);
    creators.set(key, [...(creators.get(key) ?? []), destination]);
  }

  const conflicts = new Map<string, Diagnostic>();
  for (const group of creators.values()) {
    if (new Set(group.map(passwordOf)).size < 2) continue;
    const names = sortedByName(group).map((d) => d.address);
    for (const destination of group) {
      conflicts.set(destination.name, {
        ...passwordConflict(destination),
        detail: `${names.join(', ')} log in as ${destination.database.user}, which does not exist yet, but their database.password values differ: whichever pgdest created the role with, the others could never log in.`,
      });
    }
  }

  // A password to set, against every destination of the loader in the config,
  // planned or not: those that configure no password are not affected by it.
  for (const change of changes) {
    const destination = destinations.get(change.name);
    if (!destination || !change.steps.some((step) => step.kind === 'set-password')) continue;
    const others = [...destinations.values()].filter(
      (other) =>
        other !== destination &&
        other.database.password !== undefined &&
        loaderKey(other) === loaderKey(destination) &&
        passwordOf(other) !== passwordOf(destination),
    );
    if (others.length === 0) continue;
    const names = sortedByName(others).map((d) => d.address);
    conflicts.set(destination.name, {
      ...passwordConflict(destination),
      detail: `PostgreSQL refused the database.password of ${destination.address} for ${destination.database.user}, and ${names.join(', ')} log in as ${destination.database.user} with a different one: setting the role's password to this one would lock them out.`,
    });
  }
  return conflicts;
}

function passwordConflict(destination: Destination): Diagnostic {
  return {
    severity: 'error',
    summary: `Role "${destination.database.user}" is given different passwords`,
    hint: 'Give these destinations the same database.password (for example the same ${env:NAME}), then plan again.',
    address: destination.address,
  };
}

/** A password to compare, never shown: its value, or where it was to come from. */
function passwordOf(destination: Destination): string {
  const password = destination.database.password;
  if (!password) return '';
  return password.isAvailable ? `value:${password.reveal()}` : `origin:${password.origin}`;
}

function sortedByName<T extends { name: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
