import type { Config, Destination } from '../config/model.ts';
import type { Change, Step } from '../plan/plan.ts';
import { isLoaderStep } from '../plan/plan-loader-access.ts';
import { loaderStepKey } from '../plan/share-loader-steps.ts';

/**
 * The loader steps that a failed change was to run for the changes after it.
 * A plan shows a shared loader's role and database grants in one change
 * only; when that change fails, its transaction is rolled back, so the next
 * change with the same loader (and, for a grant, the same database) runs them
 * instead of failing for want of a role.
 */
export class LoaderStepHandover {
  readonly #config: Config;
  readonly #pending = new Map<string, Step>();

  constructor(config: Config) {
    this.#config = config;
  }

  /** The pending steps that this change's loader needs, to run before its own. */
  stepsFor(change: Change): Step[] {
    const destination = this.#destinationOf(change);
    if (!destination) return [];
    return [...this.#pending.entries()]
      .filter(([key, step]) => key === loaderStepKey(destination, step) && fits(step, destination))
      .map(([, step]) => step);
  }

  /** The steps ran with a change that succeeded: nobody needs them any more. */
  settle(steps: readonly Step[]): void {
    for (const [key, step] of this.#pending) if (steps.includes(step)) this.#pending.delete(key);
  }

  /** A change failed: its loader steps wait for the next change that needs them. */
  leave(change: Change): void {
    const destination = this.#destinationOf(change);
    if (!destination) return;
    for (const step of change.steps.filter(isLoaderStep))
      this.#pending.set(loaderStepKey(destination, step), step);
  }

  #destinationOf(change: Change): Destination | undefined {
    const destination = this.#config.destinations.get(change.name);
    return change.action === 'delete' || !destination?.admin ? undefined : destination;
  }
}

/**
 * Whether the destination's loader needs the step: its role, or a grant on
 * its database. A step that sets the password needs the destination to
 * configure one; the plan made sure that all who do configure the same.
 */
function fits(step: Step, destination: Destination): boolean {
  if (step.kind === 'grant') return step.object === destination.database.name;
  if (step.kind === 'set-password' || (step.kind === 'create-role' && step.withPassword))
    return destination.database.password !== undefined;
  return true;
}
