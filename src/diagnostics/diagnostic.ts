/** Where in the configuration a diagnostic points. Lines and columns count from 1. */
export interface SourceRange {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** The YAML path, such as `destinations.warehouse.database.port`. */
  path: string;
  /** The text of the first line of the range, shown under the message. */
  snippet?: string;
}

export type Severity = 'error' | 'warning';

/**
 * What kind of problem a diagnostic reports, for machines: a CI job tells a
 * destination it cannot reach apart from one whose loader lacks privileges.
 */
export type DiagnosticCode =
  'unreachable' | 'login-refused' | 'missing-privileges' | 'fallback' | 'stale-plan' | 'error';

/**
 * A problem found in the configuration, a plan or a connection. The summary is
 * short and has no full stop; the detail is in full sentences; the hint says
 * what to do.
 */
export interface Diagnostic {
  severity: Severity;
  summary: string;
  detail?: string;
  hint?: string;
  /** The object it concerns, such as `destination.warehouse`. */
  address?: string;
  source?: SourceRange;
  code?: DiagnosticCode;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

export function errorDiagnostic(
  summary: string,
  fields: Omit<Diagnostic, 'severity' | 'summary'> = {},
): Diagnostic {
  return { severity: 'error', summary, ...fields };
}

export function warningDiagnostic(
  summary: string,
  fields: Omit<Diagnostic, 'severity' | 'summary'> = {},
): Diagnostic {
  return { severity: 'warning', summary, ...fields };
}

/** An error that stops a command and carries what the user should read. Exit code 1. */
export class UserError extends Error {
  readonly diagnostics: Diagnostic[];

  constructor(diagnostics: Diagnostic | Diagnostic[]) {
    const list = Array.isArray(diagnostics) ? diagnostics : [diagnostics];
    super(list.map((d) => d.summary).join('; '));
    this.name = 'UserError';
    this.diagnostics = list;
  }
}
