import { diffArrays, diffChars } from 'diff';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import type { Attributes, Change, Plan } from '../plan/plan.ts';
import { countChanges, hasChanges } from '../plan/plan.ts';
import { plainPalette, type Palette } from './palette.ts';

const headings: Record<Change['action'], string> = {
  create: 'will be created',
  update: 'will be updated in place',
  delete: 'will be deleted',
  'no-op': 'is unchanged',
};

/**
 * The plan as a person reads it, in the manner of Terraform: a block per
 * destination that changes, marked `+` to create, `~` to update and `-` to
 * delete, the attributes before and after, the SQL apply will run, and a
 * closing count.
 */
export function renderPlan(plan: Plan, palette: Palette = plainPalette): string {
  const changes = plan.changes.filter((change) => change.action !== 'no-op');
  const counts = countChanges(plan);
  const lines: string[] = [];

  const failed = new Set(
    plan.diagnostics.filter((d) => d.severity === 'error' && d.address).map((d) => d.address),
  );
  if (!hasChanges(plan) && failed.size === 0) {
    lines.push(
      palette.green(palette.bold('No changes.')) + ' The destinations match the configuration.',
    );
  } else if (!hasChanges(plan)) {
    const others = plan.changes.length;
    lines.push(
      others > 0
        ? `No changes for the ${others} destination${others === 1 ? '' : 's'} that could be planned.`
        : 'Nothing could be planned.',
    );
  } else {
    lines.push('pgdest will perform the following actions:', '');
    for (const change of changes)
      lines.push(
        ...renderChange(change, warningsFor(plan.diagnostics, change.address), palette),
        '',
      );
    const destructive = changes.filter((change) => change.destructive).length;
    if (destructive > 0) {
      lines.push(
        palette.red(
          palette.bold(
            `${destructive} destructive change${destructive === 1 ? '' : 's'}: DROP SCHEMA ... CASCADE deletes every table in the schema.`,
          ),
        ),
        '',
      );
    }
    lines.push(
      `${palette.bold('Plan:')} ${counts.create} to create, ${counts.update} to update, ${counts.delete} to delete.`,
    );
  }
  if (failed.size > 0)
    lines.push(
      palette.red(
        `${failed.size} destination${failed.size === 1 ? '' : 's'} could not be planned: ${[...failed].join(', ')}.`,
      ),
    );
  return `${lines.join('\n')}\n`;
}

export function renderChange(
  change: Change,
  warnings: readonly Diagnostic[] = [],
  palette: Palette = plainPalette,
): string[] {
  const mark = {
    create: palette.green('+'),
    update: palette.yellow('~'),
    delete: palette.red('-'),
    'no-op': ' ',
  }[change.action];
  const lines = [palette.bold(`  # ${change.address} ${headings[change.action]}`)];
  for (const reason of change.reasons) lines.push(palette.dim(`  # (${reason})`));
  for (const warning of warnings) lines.push(palette.yellow(`  # warning: ${warning.summary}`));
  lines.push(`  ${mark} destination "${change.name}" {`);
  lines.push(...renderAttributes(change, palette));
  lines.push('    }');
  if (change.steps.length > 0) {
    lines.push('    SQL:');
    for (const step of change.steps) {
      const as = step.as === 'admin' ? palette.dim(' -- as admin') : '';
      lines.push(
        `      ${step.kind === 'drop-schema' ? palette.red(`${step.sql};`) : `${step.sql};`}${as}`,
      );
    }
  }
  return lines;
}

function renderAttributes(change: Change, palette: Palette): string[] {
  const keys = Object.keys(change.after ?? change.before ?? {}) as (keyof Attributes)[];
  const width = Math.max(...keys.map((key) => key.length));
  return keys.map((key) => {
    const name = key.padEnd(width);
    const before = change.before?.[key];
    const after = change.after?.[key];
    if (change.action === 'create') return `      ${palette.green('+')} ${name} = ${show(after)}`;
    if (change.action === 'delete') return `      ${palette.red('-')} ${name} = ${show(before)}`;
    if (show(before) === show(after)) return `        ${name} = ${show(after)}`;
    return `      ${palette.yellow('~')} ${name} = ${showChange(before, after, palette)}`;
  });
}

/** A changed value: lists item by item, text with the changed characters marked. */
function showChange(before: unknown, after: unknown, palette: Palette): string {
  if (Array.isArray(before) && Array.isArray(after)) {
    const parts = diffArrays(before as string[], after as string[]).flatMap((part) =>
      part.value.map((item) =>
        part.added
          ? palette.green(`+${JSON.stringify(item)}`)
          : part.removed
            ? palette.red(`-${JSON.stringify(item)}`)
            : JSON.stringify(item),
      ),
    );
    return `[${parts.join(', ')}]`;
  }
  if (typeof before === 'string' && typeof after === 'string') {
    const changes = diffChars(before, after);
    const old = changes
      .filter((part) => !part.added)
      .map((part) => (part.removed ? palette.red(part.value) : part.value))
      .join('');
    const next = changes
      .filter((part) => !part.removed)
      .map((part) => (part.added ? palette.green(part.value) : part.value))
      .join('');
    return `"${old}" -> "${next}"`;
  }
  return `${show(before)} -> ${show(after)}`;
}

function show(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map((item) => JSON.stringify(item)).join(', ')}]`;
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function warningsFor(diagnostics: readonly Diagnostic[], address: string): Diagnostic[] {
  return diagnostics.filter((d) => d.severity === 'warning' && d.address === address);
}
