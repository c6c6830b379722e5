import type { Config } from '../config/model.ts';
import { errorDiagnostic, UserError } from '../diagnostics/diagnostic.ts';
import type { PlanDocument } from '../plan/plan-document.ts';
import type { State } from '../state/state.ts';

/** Refuses a saved plan made from another configuration. */
export function checkPlanConfig(document: PlanDocument, config: Config, path: string): void {
  if (document.config_digest === config.digest) return;
  throw new UserError(
    errorDiagnostic('Saved plan does not match the configuration', {
      detail: `${path} was made from a configuration with digest ${document.config_digest}, and the configuration now has ${config.digest}: it changed since the plan was made.`,
      hint: 'Run `pgdest plan -o FILE` again with the current configuration, review it, and apply the new file.',
      code: 'stale-plan',
    }),
  );
}

/** Refuses a saved plan made against a state that has moved on since. */
export function checkPlanState(
  document: PlanDocument,
  prior: State | undefined,
  path: string,
): void {
  const planned = document.prior_state;
  const now = prior ? { lineage: prior.lineage, serial: prior.serial } : null;
  if (JSON.stringify(planned) === JSON.stringify(now)) return;
  const describe = (state: typeof now) =>
    state ? `serial ${state.serial} of lineage ${state.lineage}` : 'no state at all';
  throw new UserError(
    errorDiagnostic('Saved plan is stale', {
      detail: `${path} was made against ${describe(planned)}, and the state is now ${describe(now)}: another run changed it since.`,
      hint: 'Run `pgdest plan -o FILE` again, review it, and apply the new file.',
      code: 'stale-plan',
    }),
  );
}
