import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import type { Change, Plan } from './plan.ts';

/**
 * Decides whether a saved plan may still be applied, against a plan made
 * afresh at apply time from the same config and state. Each saved change must
 * still be planned with the same action and outcome, and with no SQL step the
 * saved plan did not show; fewer steps are fine (someone did part of the work
 * meanwhile). Otherwise nothing is applied: a saved plan never runs a step
 * that is wrong for the database as it is now.
 */
export function reconcileSavedPlan(
  saved: Plan,
  fresh: Plan,
): { changes: Change[]; diagnostics: Diagnostic[] } {
  const problems: string[] = [];
  const changes: Change[] = [];
  const freshByAddress = new Map(fresh.changes.map((change) => [change.address, change]));

  for (const change of saved.changes) {
    if (change.action === 'no-op') continue;
    const now = freshByAddress.get(change.address);
    const error = fresh.diagnostics.find(
      (d) => d.severity === 'error' && d.address === change.address,
    );
    if (error) {
      problems.push(`${change.address}: ${error.summary}.`);
    } else if (!now || now.action === 'no-op') {
      problems.push(
        `${change.address}: the saved plan will ${change.action} it, but there is nothing left to do.`,
      );
    } else if (now.action !== change.action) {
      problems.push(
        `${change.address}: the saved plan will ${change.action} it, but it now needs to ${now.action}.`,
      );
    } else if (JSON.stringify(now.after) !== JSON.stringify(change.after)) {
      problems.push(
        `${change.address}: the outcome differs now (effective schema ${now.after?.effective_schema ?? 'none'} instead of ${change.after?.effective_schema ?? 'none'}).`,
      );
    } else {
      const shown = new Set(change.steps.map((step) => step.sql));
      const unseen = now.steps.filter((step) => !shown.has(step.sql));
      if (unseen.length > 0)
        problems.push(
          `${change.address}: it now needs ${unseen.map((step) => step.sql).join('; ')}, which the saved plan does not show.`,
        );
      else changes.push(now);
    }
  }

  if (problems.length > 0) {
    return {
      changes: [],
      diagnostics: [
        {
          severity: 'error',
          code: 'stale-plan',
          summary: 'Saved plan no longer fits the databases',
          detail: `The databases changed since the plan was made:\n${problems.map((p) => `- ${p}`).join('\n')}`,
          hint: 'Nothing was applied. Run `pgdest plan -o FILE` again, review it, and apply the new file.',
        },
      ],
    };
  }

  const savedAddresses = new Set(
    saved.changes.filter((change) => change.action !== 'no-op').map((change) => change.address),
  );
  const unplanned = fresh.changes.filter(
    (change) => change.action !== 'no-op' && !savedAddresses.has(change.address),
  );
  const diagnostics: Diagnostic[] = unplanned.map((change) => ({
    severity: 'warning',
    summary: `${change.address} has changes the saved plan does not hold`,
    detail: `Since the plan was made, ${change.address} came to need: ${change.reasons.join('; ') || change.action}. A saved plan applies only what it shows.`,
    hint: 'Run `pgdest plan` after this apply to see and review it.',
    address: change.address,
  }));
  return { changes, diagnostics };
}
