import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { destinationStatuses } from '../plan/plan-document.ts';
import { countChanges, hasChanges, type Change, type Plan } from '../plan/plan.ts';

const actionLabels: Record<Change['action'], string> = {
  create: '+ create',
  update: '~ update',
  delete: '- delete',
  'no-op': 'no change',
};

/**
 * A plan summary fit for a pull-request comment: the counts, a table of the
 * destinations that change or cannot be planned, the warnings (fallbacks
 * first among them), and the SQL in a collapsed block.
 */
export function renderPlanMarkdown(plan: Plan): string {
  const counts = countChanges(plan);
  const errors = plan.diagnostics.filter((d) => d.severity === 'error');
  const warnings = plan.diagnostics.filter((d) => d.severity === 'warning');
  const lines: string[] = [];

  const title = hasChanges(plan)
    ? `${counts.create} to create, ${counts.update} to update, ${counts.delete} to delete`
    : 'no changes';
  lines.push(`### pgdest plan: ${title}`, '');

  const rows = destinationStatuses(plan).filter((row) => row.status !== 'unchanged');
  if (rows.length > 0) {
    lines.push('| Destination | Action | Schema | Why |', '| --- | --- | --- | --- |');
    for (const row of rows) {
      const change = plan.changes.find((c) => c.address === row.address);
      const error = errors.find((d) => d.address === row.address);
      const action = change
        ? actionLabels[change.action] + (change.destructive ? ' (destructive)' : '')
        : '**error**';
      const why = change ? change.reasons.join('; ') : `${row.status}: ${error?.summary ?? ''}`;
      lines.push(`| \`${row.name}\` | ${action} | ${schemaCell(change)} | ${escapeCell(why)} |`);
    }
    lines.push('');
  }
  if (counts.noop > 0)
    lines.push(`${counts.noop} destination${counts.noop === 1 ? '' : 's'} unchanged.`, '');

  if (errors.length > 0) lines.push('**Errors**', '', ...errors.map(listItem), '');
  if (warnings.length > 0) lines.push('**Warnings**', '', ...warnings.map(listItem), '');

  const statements = plan.changes.flatMap((change) =>
    change.steps.length
      ? [`-- ${change.address}`, ...change.steps.map((step) => `${step.sql};`)]
      : [],
  );
  const count = plan.changes.reduce((n, change) => n + change.steps.length, 0);
  if (count > 0) {
    lines.push(
      `<details><summary>SQL (${count} statement${count === 1 ? '' : 's'})</summary>`,
      '',
      '```sql',
      ...statements,
      '```',
      '',
      '</details>',
      '',
    );
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

function schemaCell(change: Change | undefined): string {
  const after = change?.after ?? change?.before;
  if (!after) return '';
  return after.fallback
    ? `\`${after.effective_schema}\` (fallback for \`${after.schema}\`)`
    : `\`${after.effective_schema}\``;
}

function listItem(diagnostic: Diagnostic): string {
  const where = diagnostic.address ? `\`${diagnostic.address}\`: ` : '';
  const detail = diagnostic.detail ? ` ${diagnostic.detail.replace(/\n/g, ' ')}` : '';
  const hint = diagnostic.hint ? ` _${diagnostic.hint}_` : '';
  return `- ${where}**${diagnostic.summary}**.${detail}${hint}`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
