import {
  countReady,
  type CheckReport,
  type DestinationCheck,
  type PrivilegeCheck,
} from '../check/check-report.ts';
import { allPrivileges, type Privilege } from '../config/model.ts';

const marks = { ok: '✅', failed: '❌', 'not-proven': '❔', undeclared: '–' } as const;

/**
 * The check as a pull-request comment: a table of destinations with the
 * result of each privilege, then the failures with the GRANTs that fix them,
 * then the tables the loaders do not own. No times, so that the comment
 * changes only when the result does.
 */
export function renderCheckMarkdown(report: CheckReport): string {
  const { checked, ready } = countReady(report);
  const lines = [
    `## pgdest check: ${ready} of ${checked} destination${checked === 1 ? '' : 's'} ready`,
    '',
  ];
  if (checked === 0) return `${[...lines, 'No destination was checked.'].join('\n')}\n`;

  // One row per destination, one column per privilege any of them declares.
  const columns = allPrivileges.filter((privilege) =>
    report.destinations.some((d) => d.privileges.some((p) => p.privilege === privilege)),
  );
  lines.push(
    `| Destination | Result | Schema | ${columns.join(' | ')} |`,
    `| --- | --- | --- | ${columns.map(() => ':-:').join(' | ')} |`,
    ...report.destinations.map((destination) => renderRow(destination, columns)),
    '',
    `${marks.ok} proven · ${marks.failed} failed · ${marks['not-proven']} not proven (counts as failing) · ${marks.undeclared} not declared`,
  );

  // What failed, and what an administrator would run.
  const failing = report.destinations.filter((destination) => !destination.ready);
  if (failing.length > 0)
    lines.push(
      '',
      '### Failures',
      '',
      ...failing.flatMap((destination, index) => [
        ...(index > 0 ? [''] : []),
        ...renderFailures(destination),
      ]),
    );

  // Tables the loader may write to but not ALTER or DROP.
  const withForeign = report.destinations.filter(
    (destination) => destination.foreignTables.count > 0,
  );
  if (withForeign.length > 0)
    lines.push(
      '',
      '### Tables the loader does not own',
      '',
      ...withForeign.map(renderForeignTables),
    );
  return `${lines.join('\n')}\n`;
}

function renderRow(destination: DestinationCheck, columns: readonly Privilege[]): string {
  const result = destination.ready
    ? `${marks.ok} ready`
    : destination.reachable
      ? `${marks.failed} failing`
      : `${marks.failed} unreachable`;
  const schema = destination.schema;
  const where =
    schema === undefined
      ? marks.undeclared
      : schema.effective === undefined
        ? `${code(schema.declared)} (missing)`
        : `${code(schema.effective)}${schema.fallback ? ' (fallback)' : ''}`;
  const cells = columns.map((privilege) => {
    const check = destination.privileges.find((p) => p.privilege === privilege);
    return check === undefined ? marks.undeclared : marks[check.status];
  });
  return `| ${code(destination.name)} | ${result} | ${where} | ${cells.join(' | ')} |`;
}

function renderFailures(destination: DestinationCheck): string[] {
  const lines = [`**${code(destination.name)}** as ${code(destination.login)}`, ''];
  const failedHop = destination.hops.find((hop) => hop.status === 'failed');
  if (failedHop !== undefined) {
    const what = failedHop.kind === 'bastion' ? `bastion ${code(failedHop.name)}` : 'the login';
    lines.push(
      `- Unreachable: ${what} (${code(failedHop.endpoint)}) failed: ${text(failedHop.failure ?? 'no reason given')}.`,
    );
  } else {
    for (const group of groupFailures(destination.privileges)) lines.push(renderFailure(group));
    for (const diagnostic of destination.diagnostics) lines.push(`- ${text(diagnostic.summary)}`);
  }

  // The GRANTs, ready to copy into psql.
  const grants = [
    ...new Set(
      destination.privileges.flatMap((privilege) =>
        privilege.grant === undefined || failedHop !== undefined ? [] : [privilege.grant],
      ),
    ),
  ];
  if (grants.length > 0) {
    const owner =
      destination.schema?.effective === undefined ? undefined : destination.schema.owner;
    const who =
      owner === undefined
        ? 'an administrator would run'
        : `run as ${code(owner)} (the schema's owner) or a superuser`;
    lines.push('', `To fix it, ${who}:`, '', '```sql', ...grants, '```');
  }
  return lines;
}

/** Privileges that failed for the same reason, told once. */
function groupFailures(
  privileges: readonly PrivilegeCheck[],
): { names: Privilege[]; check: PrivilegeCheck }[] {
  const groups: { names: Privilege[]; check: PrivilegeCheck }[] = [];
  for (const privilege of privileges) {
    if (privilege.status === 'ok') continue;
    const same = groups.find(
      ({ check }) =>
        check.status === privilege.status &&
        check.error?.message === privilege.error?.message &&
        check.reason === privilege.reason &&
        check.hint === privilege.hint,
    );
    if (same) same.names.push(privilege.privilege);
    else groups.push({ names: [privilege.privilege], check: privilege });
  }
  return groups;
}

function renderFailure({ names, check }: { names: Privilege[]; check: PrivilegeCheck }): string {
  // PostgreSQL's answer when there is one; the reason says the rest.
  const said =
    check.error !== undefined
      ? [
          `${text(check.error.message)}${check.error.code === undefined ? '' : ` (${code(check.error.code)})`}.`,
        ]
      : check.status === 'not-proven'
        ? ['Not proven.']
        : [];
  const reason = check.reason === undefined ? [] : [text(check.reason)];
  // A GRANT is shown in the SQL block below, with who may run it.
  const hint = check.hint === undefined || check.grant !== undefined ? [] : [text(check.hint)];
  return `- **${names.join(', ')}**: ${[...said, ...reason, ...hint].join(' ')}`;
}

function renderForeignTables(destination: DestinationCheck): string {
  const { names, count } = destination.foreignTables;
  const more = count > names.length ? ` and ${count - names.length} more` : '';
  const schema = destination.schema?.effective ?? destination.schema?.declared ?? '';
  return `- ${code(destination.name)}, schema ${code(schema)}: ${names.map(code).join(', ')}${more} (${text(destination.login)} cannot ALTER or DROP ${count === 1 ? 'it' : 'them'})`;
}

/** Text with markdown's special characters escaped, safe in a table cell too. */
function text(value: string): string {
  return value.replace(/[\\`*_[\]<>|#]/g, (character) => `\\${character}`);
}

/** An inline code span that holds any text, a pipe included. */
function code(value: string): string {
  const fence = value.includes('`') ? '``' : '`';
  const padded = value.startsWith('`') || value.endsWith('`') ? ` ${value} ` : value;
  return `${fence}${padded.replace(/\|/g, '\\|')}${fence}`;
}
