import type { Diagnostic } from '../diagnostics/diagnostic.ts';

/** The JSON shape of one diagnostic: snake_case, stable, documented in the README. */
export interface DiagnosticJson {
  severity: 'error' | 'warning';
  summary: string;
  detail?: string;
  hint?: string;
  address?: string;
  source?: {
    file: string;
    line: number;
    column: number;
    end_line: number;
    end_column: number;
    path: string;
  };
}

export function toDiagnosticJson(diagnostic: Diagnostic): DiagnosticJson {
  const { severity, summary, detail, hint, address, source } = diagnostic;
  return {
    severity,
    summary,
    ...(detail !== undefined && { detail }),
    ...(hint !== undefined && { hint }),
    ...(address !== undefined && { address }),
    ...(source && {
      source: {
        file: source.file,
        line: source.line,
        column: source.column,
        end_line: source.endLine,
        end_column: source.endColumn,
        path: source.path,
      },
    }),
  };
}
