import type { ApplyResult } from '../apply/apply-plan.ts';
import {
  toDiagnosticDocument,
  type DiagnosticDocument,
  type PlanDocument,
} from '../plan/plan-document.ts';

/** What `apply --format json` prints: the plan applied, what was done, what failed. */
export interface ApplyDocument {
  format_version: 1;
  plan: PlanDocument;
  applied: { address: string; action: string; effective_schema: string | null }[];
  failed: string[];
  diagnostics: DiagnosticDocument[];
}

export function toApplyDocument(plan: PlanDocument, result: ApplyResult): ApplyDocument {
  const failed = [
    ...new Set(
      result.diagnostics.filter((d) => d.severity === 'error' && d.address).map((d) => d.address!),
    ),
  ].sort();
  return {
    format_version: 1,
    plan,
    applied: result.applied.map((change) => ({
      address: change.address,
      action: change.action,
      effective_schema: change.after?.effective_schema ?? null,
    })),
    failed,
    diagnostics: result.diagnostics.map(toDiagnosticDocument),
  };
}
