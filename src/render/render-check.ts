import {
  countReady,
  type CheckHop,
  type CheckReport,
  type DestinationCheck,
  type PrivilegeCheck,
  type SchemaCheck,
} from '../check/check-report.ts';
import type { Privilege } from '../config/model.ts';
import { plainPalette, type Palette } from './palette.ts';

/** A table row: the cells as printed, and how to colour the result. */
interface Row {
  check: string;
  target: string;
  result: 'ok' | 'FAILED' | 'not proven' | 'not tried' | '';
  time: string;
}

// What each probe step does, in the words of the table.
const actions: Record<Privilege, string> = {
  CREATE: 'create a table',
  ALTER: 'add a column to it',
  INSERT: 'insert a row',
  SELECT: 'read it back',
  DELETE: 'delete it',
  DROP: 'drop the table',
};

/**
 * The check as a person reads it: per destination a heading with its
 * verdict, a table of every hop, the schema and each declared privilege with
 * its result and time, then what failed with the GRANT that fixes it and the
 * tables the loader does not own; and a closing count.
 *
 *     destination.warehouse: ready (as loader, 63 ms)
 *
 *       CHECK         TARGET                                   RESULT  TIME
 *       bastion main  tunnel@bastion:22 SHA256:Wm3x...         ok      41 ms
 *       login         loader@10.0.1.5:5432/analytics           ok      12 ms
 *       schema        kondado                                  ok
 *       CREATE        create a table                           ok       3 ms
 */
export function renderCheck(report: CheckReport, palette: Palette = plainPalette): string {
  const blocks = report.destinations.map((destination) =>
    renderDestination(destination, palette).join('\n'),
  );
  const { checked, ready, failing } = countReady(report);
  const closing = `${checked} destination${checked === 1 ? '' : 's'} checked: ${ready} ready, ${failing} failing.`;
  const paint = checked === 0 ? palette.bold : failing === 0 ? palette.green : palette.red;
  return `${[...blocks, paint(palette.bold(closing))].join('\n\n')}\n`;
}

export function renderDestination(
  check: DestinationCheck,
  palette: Palette = plainPalette,
): string[] {
  const verdict = check.ready
    ? palette.green('ready')
    : palette.red(check.reachable ? 'failing' : 'unreachable');
  const lines = [
    `${palette.bold(check.address)}: ${verdict} ${palette.dim(`(as ${check.login}, ${check.elapsedMs} ms)`)}`,
    '',
  ];

  // The table: hops, then (once the loader is in) the schema and privileges.
  const rows: Row[] = [...check.hops.map(hopRow)];
  if (check.schema) rows.push(schemaRow(check.schema));
  if (check.reachable) rows.push(...check.privileges.map(privilegeRow));
  lines.push(...renderTable(rows, palette));

  // What went wrong, and what to do about it.
  const notes = check.reachable
    ? [
        ...renderSchemaNotes(check.schema, palette),
        ...renderPrivilegeFailures(check.privileges, palette),
      ]
    : [
        ...renderHopFailures(check.hops, palette),
        '      The privileges were not tried; the error printed above says what to try.',
      ];
  if (check.foreignTables.count > 0) notes.push(renderForeignTables(check, palette));
  if (notes.length > 0) lines.push('', ...notes);
  return lines;
}

function hopRow(hop: CheckHop): Row {
  const check = hop.kind === 'bastion' ? `bastion ${hop.name}` : 'login';
  const target = hop.hostKey === undefined ? hop.endpoint : `${hop.endpoint} ${hop.hostKey}`;
  const result = hop.status === 'ok' ? 'ok' : hop.status === 'failed' ? 'FAILED' : 'not tried';
  return { check, target, result, time: formatMs(hop.elapsedMs) };
}

function schemaRow(schema: SchemaCheck): Row {
  if (schema.effective === undefined)
    return { check: 'schema', target: `${schema.declared} (missing)`, result: 'FAILED', time: '' };
  const notes = [
    ...(schema.fallback ? [`fallback for ${schema.declared}`] : []),
    ...(schema.recorded === undefined
      ? []
      : [schema.recorded.agrees ? 'state agrees' : `state records ${schema.recorded.effective}`]),
  ];
  return {
    check: 'schema',
    target: notes.length === 0 ? schema.effective : `${schema.effective} (${notes.join('; ')})`,
    result: 'ok',
    time: '',
  };
}

function privilegeRow(privilege: PrivilegeCheck): Row {
  const result =
    privilege.status === 'ok' ? 'ok' : privilege.status === 'failed' ? 'FAILED' : 'not proven';
  return {
    check: privilege.privilege,
    target: actions[privilege.privilege],
    result,
    time: formatMs(privilege.elapsedMs),
  };
}

function renderTable(rows: readonly Row[], palette: Palette): string[] {
  const header: Row = { check: 'CHECK', target: 'TARGET', result: '', time: 'TIME' };
  const widths = {
    check: Math.max(...[header, ...rows].map((row) => row.check.length)),
    target: Math.max(...[header, ...rows].map((row) => row.target.length)),
    result: Math.max('RESULT'.length, ...rows.map((row) => row.result.length)),
    time: Math.max(...[header, ...rows].map((row) => row.time.length)),
  };
  const line = (row: Row, result: string) =>
    `  ${row.check.padEnd(widths.check)}  ${row.target.padEnd(widths.target)}  ${result}  ${row.time.padStart(widths.time)}`.trimEnd();
  return [
    palette.dim(line(header, 'RESULT'.padEnd(widths.result))),
    // Only the word is painted, so that trailing blanks can be trimmed.
    ...rows.map((row) =>
      line(
        row,
        paintResult(row.result, palette)(row.result) +
          ' '.repeat(widths.result - row.result.length),
      ),
    ),
  ];
}

function paintResult(result: Row['result'], palette: Palette): (text: string) => string {
  if (result === 'ok') return palette.green;
  if (result === 'FAILED') return palette.red;
  if (result === '') return (text) => text;
  return palette.yellow;
}

function renderHopFailures(hops: readonly CheckHop[], palette: Palette): string[] {
  return hops
    .filter((hop) => hop.status === 'failed')
    .map(
      (hop) =>
        `  ${palette.red('✗')} ${hop.kind === 'bastion' ? `bastion ${hop.name}` : 'login'} ${hop.endpoint}: ${hop.failure ?? 'failed'}`,
    );
}

/** Only a disagreement with state: a missing schema is told with the privileges it fails. */
function renderSchemaNotes(schema: SchemaCheck | undefined, palette: Palette): string[] {
  if (schema?.effective === undefined) return [];
  if (schema.recorded !== undefined && !schema.recorded.agrees) {
    return [
      `  ${palette.yellow('!')} State records schema "${schema.recorded.effective}"${schema.recorded.fallback ? ' (the fallback)' : ''}, but the loader writes into "${schema.effective}" now; run pgdest plan to see the change.`,
    ];
  }
  return [];
}

/**
 * Failures with their reason and hint; privileges that failed for the same
 * reason (say, all five that need the table CREATE could not make) are told once.
 */
function renderPrivilegeFailures(
  privileges: readonly PrivilegeCheck[],
  palette: Palette,
): string[] {
  const groups: { names: Privilege[]; check: PrivilegeCheck }[] = [];
  for (const privilege of privileges) {
    if (privilege.status === 'ok') continue;
    const same = groups.find((group) => sameExplanation(group.check, privilege));
    if (same) same.names.push(privilege.privilege);
    else groups.push({ names: [privilege.privilege], check: privilege });
  }
  return groups.flatMap(({ names, check }) => {
    const said =
      check.error === undefined
        ? check.status === 'not-proven'
          ? 'not proven'
          : 'failed'
        : `${check.error.message}${check.error.code === undefined ? '' : ` (SQLSTATE ${check.error.code})`}`;
    const lines = [`  ${palette.red('✗')} ${names.join(', ')}: ${said}`];
    if (check.reason) lines.push(`      ${check.reason}`);
    if (check.hint) lines.push(palette.cyan(`      ${check.hint}`));
    return lines;
  });
}

function sameExplanation(a: PrivilegeCheck, b: PrivilegeCheck): boolean {
  return (
    a.status === b.status &&
    a.error?.message === b.error?.message &&
    a.error?.code === b.error?.code &&
    a.reason === b.reason &&
    a.hint === b.hint
  );
}

function renderForeignTables(check: DestinationCheck, palette: Palette): string {
  const { names, count } = check.foreignTables;
  const more = count > names.length ? ` and ${count - names.length} more` : '';
  const list = `${names.map((name) => `"${name}"`).join(', ')}${more}`;
  const schema = check.schema?.effective ?? check.schema?.declared ?? '';
  const subject = count === 1 ? '1 table or view' : `${count} tables or views`;
  return `  ${palette.yellow('!')} ${subject} in schema "${schema}" ${count === 1 ? 'belongs' : 'belong'} to another role, so ${check.login} cannot ALTER or DROP ${count === 1 ? 'it' : 'them'}: ${list}.`;
}

function formatMs(ms: number | undefined): string {
  return ms === undefined ? '' : `${ms} ms`;
}
