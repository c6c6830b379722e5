import type { ApplyResult } from '../apply/apply-plan.ts';
import type { Change } from '../plan/plan.ts';
import { plainPalette, type Palette } from './palette.ts';

const done: Record<Change['action'], string> = {
  create: 'created',
  update: 'updated',
  delete: 'deleted',
  'no-op': 'unchanged',
};

/** What apply did: a line per destination, then the counts. */
export function renderApplyResult(result: ApplyResult, palette: Palette = plainPalette): string {
  const lines = result.applied.map((change) => {
    const fallback = change.after?.fallback
      ? ` (writes into ${change.after.effective_schema}, the fallback)`
      : '';
    return `${change.address}: ${done[change.action]}${fallback}`;
  });
  const failed = new Set(
    result.diagnostics.filter((d) => d.severity === 'error' && d.address).map((d) => d.address!),
  );
  for (const address of failed) lines.push(palette.red(`${address}: failed`));
  const count = (action: Change['action']) =>
    result.applied.filter((change) => change.action === action).length;
  const summary = `${count('create')} created, ${count('update')} updated, ${count('delete')} deleted`;
  lines.push(
    '',
    failed.size > 0
      ? palette.red(
          palette.bold(
            `Apply failed for ${failed.size} destination${failed.size === 1 ? '' : 's'}`,
          ),
        ) + `; ${summary}. Apply again to continue from here.`
      : palette.green(palette.bold('Apply complete!')) + ` ${summary}.`,
  );
  return `${lines.join('\n')}\n`;
}
