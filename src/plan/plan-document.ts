import type { Diagnostic, DiagnosticCode } from '../diagnostics/diagnostic.ts';
import type { Action, Attributes, Change, Plan, Step } from './plan.ts';
import { countChanges, hasChanges } from './plan.ts';

/** The version of the plan document's shape; schemas/plan.schema.json describes it. */
export const planFormatVersion = 1;

/**
 * Where each destination stands, for machines: what will happen to it, or
 * why nothing can. A CI job tells drift apart from an unreachable database
 * and from missing privileges.
 */
export type DestinationStatus =
  | 'unchanged'
  | 'new'
  | 'drift'
  | 'changed'
  | 'removed'
  | 'unreachable'
  | 'login-refused'
  | 'missing-privileges'
  | 'error';

export interface PlanDocument {
  format_version: number;
  pgdest_version: string;
  created_at: string;
  config_digest: string;
  /** The prior state the plan was made against; apply refuses it once state moved on. */
  prior_state: { lineage: string; serial: number } | null;
  targets: string[];
  destroy: boolean;
  summary: { create: number; update: number; delete: number; no_op: number; errors: number };
  has_changes: boolean;
  destinations: {
    address: string;
    name: string;
    action: Action | null;
    status: DestinationStatus;
  }[];
  changes: ChangeDocument[];
  diagnostics: DiagnosticDocument[];
}

export interface ChangeDocument {
  address: string;
  name: string;
  action: Action;
  drift: boolean;
  destructive: boolean;
  reasons: string[];
  before: Attributes | null;
  after: Attributes | null;
  steps: StepDocument[];
}

export type StepDocument = { kind: Step['kind']; as: Step['as']; sql: string } & Record<
  string,
  string | boolean
>;

export interface DiagnosticDocument {
  severity: 'error' | 'warning';
  summary: string;
  detail?: string;
  hint?: string;
  address?: string;
  code?: DiagnosticCode;
}

export interface PlanMetadata {
  version: string;
  createdAt: Date;
  targets: readonly string[];
  destroy: boolean;
}

/** The plan as a document: what `plan -o` saves and `plan --format json` prints, the same. */
export function toPlanDocument(plan: Plan, meta: PlanMetadata): PlanDocument {
  const counts = countChanges(plan);
  return {
    format_version: planFormatVersion,
    pgdest_version: meta.version,
    created_at: meta.createdAt.toISOString(),
    config_digest: plan.configDigest,
    prior_state: plan.prior,
    targets: [...meta.targets],
    destroy: meta.destroy,
    summary: {
      create: counts.create,
      update: counts.update,
      delete: counts.delete,
      no_op: counts.noop,
      errors: plan.diagnostics.filter((d) => d.severity === 'error').length,
    },
    has_changes: hasChanges(plan),
    destinations: destinationStatuses(plan),
    changes: plan.changes.map(toChangeDocument),
    diagnostics: plan.diagnostics.map(toDiagnosticDocument),
  };
}

/** The plan a document holds, for `apply FILE` and `show FILE`. */
export function fromPlanDocument(document: PlanDocument): Plan {
  return {
    changes: document.changes.map((change) => ({
      address: change.address,
      name: change.name,
      action: change.action,
      before: change.before,
      after: change.after,
      reasons: change.reasons,
      destructive: change.destructive,
      drift: change.drift,
      steps: change.steps.map(fromStepDocument),
    })),
    diagnostics: document.diagnostics.map((d) => ({ ...d })),
    prior: document.prior_state,
    configDigest: document.config_digest,
  };
}

function toChangeDocument(change: Change): ChangeDocument {
  return {
    address: change.address,
    name: change.name,
    action: change.action,
    drift: change.drift,
    destructive: change.destructive,
    reasons: change.reasons,
    before: change.before,
    after: change.after,
    steps: change.steps.map(toStepDocument),
  };
}

function toStepDocument(step: Step): StepDocument {
  const { withPassword, ...rest } = step as Step & { withPassword?: boolean };
  return {
    ...rest,
    ...(withPassword === undefined ? {} : { with_password: withPassword }),
  } as StepDocument;
}

function fromStepDocument(document: StepDocument): Step {
  const { with_password: withPassword, ...rest } = document as StepDocument & {
    with_password?: boolean;
  };
  return { ...rest, ...(withPassword === undefined ? {} : { withPassword }) } as unknown as Step;
}

export function toDiagnosticDocument(diagnostic: Diagnostic): DiagnosticDocument {
  const { severity, summary, detail, hint, address, code } = diagnostic;
  return {
    severity,
    summary,
    ...(detail && { detail }),
    ...(hint && { hint }),
    ...(address && { address }),
    ...(code && { code }),
  };
}

/** Each destination in the plan, with what happens to it or why nothing can. */
export function destinationStatuses(plan: Plan): PlanDocument['destinations'] {
  const rows = new Map<string, PlanDocument['destinations'][number]>();
  for (const change of plan.changes) {
    const status: DestinationStatus =
      change.action === 'create'
        ? 'new'
        : change.action === 'delete'
          ? 'removed'
          : change.action === 'no-op'
            ? 'unchanged'
            : change.drift
              ? 'drift'
              : 'changed';
    rows.set(change.address, {
      address: change.address,
      name: change.name,
      action: change.action,
      status,
    });
  }
  for (const diagnostic of plan.diagnostics) {
    if (diagnostic.severity !== 'error' || !diagnostic.address || rows.has(diagnostic.address))
      continue;
    const code = diagnostic.code;
    const status: DestinationStatus =
      code === 'unreachable' || code === 'login-refused' || code === 'missing-privileges'
        ? code
        : 'error';
    rows.set(diagnostic.address, {
      address: diagnostic.address,
      name: diagnostic.address.replace(/^destination\./, ''),
      action: null,
      status,
    });
  }
  return [...rows.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
