import type { Diagnostic, SourceRange } from '../diagnostics/diagnostic.ts';
import { plainPalette, type Palette } from './palette.ts';

/**
 * Renders diagnostics for a terminal: the severity and summary, the place
 * with its source line and the bad part underlined, the detail, and the hint.
 *
 *     Error: Unknown key "prot"
 *
 *       on pgdest.yaml line 12, column 7, at destinations.warehouse.database.prot:
 *         12 |       prot: 5432
 *            |       ^^^^
 *
 *       A database takes `host`, `port`, ... and `ssl_root_cert`.
 *       Did you mean "port"?
 */
export function renderDiagnostics(
  diagnostics: readonly Diagnostic[],
  palette: Palette = plainPalette,
  cwd?: string,
): string {
  return groupByAddress(diagnostics)
    .map(({ diagnostic, addresses }) => renderDiagnostic(diagnostic, palette, cwd, addresses))
    .join('\n');
}

export function renderDiagnostic(
  diagnostic: Diagnostic,
  palette: Palette = plainPalette,
  cwd?: string,
  addresses = diagnostic.address ? [diagnostic.address] : [],
): string {
  const isError = diagnostic.severity === 'error';
  const label = isError
    ? palette.red(palette.bold('Error:'))
    : palette.yellow(palette.bold('Warning:'));
  const lines = [`${label} ${palette.bold(diagnostic.summary)}`];
  if (addresses.length > 0 && !diagnostic.source) lines.push('', `  on ${addresses.join(', ')}`);
  if (diagnostic.source) lines.push('', ...renderSource(diagnostic.source, palette, cwd));
  if (diagnostic.detail || diagnostic.hint) lines.push('');
  if (diagnostic.detail) lines.push(...indent(diagnostic.detail));
  if (diagnostic.hint) lines.push(...indent(diagnostic.hint).map((line) => palette.cyan(line)));
  return `${lines.join('\n')}\n`;
}

function renderSource(source: SourceRange, palette: Palette, cwd?: string): string[] {
  const file =
    cwd && source.file.startsWith(`${cwd}/`) ? source.file.slice(cwd.length + 1) : source.file;
  const where = `  on ${file} line ${source.line}, column ${source.column}${source.path ? `, at ${source.path}` : ''}:`;
  if (source.snippet === undefined || source.snippet.trim() === '') return [where];
  const number = String(source.line);
  const gutter = ' '.repeat(number.length);
  const snippet = source.snippet.replace(/\t/g, ' ');
  const start = Math.max(source.column - 1, 0);
  const end =
    source.endLine === source.line ? Math.max(source.endColumn - 1, start + 1) : snippet.length;
  const width = Math.max(Math.min(end, snippet.length) - start, 1);
  return [
    where,
    `    ${palette.dim(`${number} |`)} ${snippet}`,
    `    ${palette.dim(`${gutter} |`)} ${' '.repeat(start)}${palette.red('^'.repeat(width))}`,
  ];
}

function indent(text: string): string[] {
  return text.split('\n').map((line) => `  ${line}`);
}

/** The closing line: `2 errors, 1 warning.` */
export function renderDiagnosticCounts(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${count(errors, 'error')}, ${count(warnings, 'warning')}.`;
}

/**
 * One entry per distinct problem, with every address it concerns: fifty
 * destinations behind a bastion that refuses its host key make one message
 * that names them all, not fifty copies.
 */
function groupByAddress(
  diagnostics: readonly Diagnostic[],
): { diagnostic: Diagnostic; addresses: string[] }[] {
  const groups = new Map<string, { diagnostic: Diagnostic; addresses: string[] }>();
  for (const diagnostic of diagnostics) {
    const { address, ...rest } = diagnostic;
    const key = diagnostic.source ? `${groups.size}` : JSON.stringify(rest);
    const group = groups.get(key);
    if (group && address) group.addresses.push(address);
    else groups.set(key, { diagnostic, addresses: address ? [address] : [] });
  }
  return [...groups.values()];
}
