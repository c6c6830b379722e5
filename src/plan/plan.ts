import type { Diagnostic } from '../diagnostics/diagnostic.ts';

export type Action = 'create' | 'update' | 'delete' | 'no-op';

/** What a plan shows of a destination, before and after; the same shape in state and in plans. */
export interface Attributes {
  /** `user@host:port` of the bastion, or null for a direct connection. */
  bastion: string | null;
  /** `host:port/database`. */
  database: string;
  user: string;
  schema: string;
  effective_schema: string;
  fallback: boolean;
  privileges: string[];
  admin: string | null;
  on_delete: 'forget' | 'drop';
}

/** Who runs a step: the loader's own login, or the destination's admin. */
export type StepLogin = 'loader' | 'admin';

/**
 * One SQL statement that apply will run. `sql` is what plans show, with any
 * password written `(sensitive)`; apply renders the statement again with the
 * real value (see step-sql.ts).
 */
export type Step =
  | { kind: 'create-role'; as: 'admin'; role: string; withPassword: boolean; sql: string }
  | { kind: 'alter-role'; as: 'admin'; role: string; sql: string }
  | { kind: 'set-password'; as: 'admin'; role: string; sql: string }
  | { kind: 'create-schema'; as: StepLogin; schema: string; owner?: string; sql: string }
  | {
      kind: 'grant';
      as: 'admin';
      privilege: 'CONNECT' | 'CREATE' | 'USAGE';
      on: 'database' | 'schema';
      object: string;
      role: string;
      sql: string;
    }
  | { kind: 'drop-schema'; as: StepLogin; schema: string; sql: string };

export interface Change {
  /** `destination.NAME`. */
  address: string;
  name: string;
  action: Action;
  before: Attributes | null;
  after: Attributes | null;
  /** Why the change is needed, such as `schema "kondado" no longer exists`. */
  reasons: string[];
  steps: Step[];
  /** Whether applying it destroys data (DROP SCHEMA ... CASCADE). */
  destructive: boolean;
  /** Whether the database no longer holds what state recorded: drift that apply repairs. */
  drift: boolean;
}

/**
 * What apply would do: a change per destination in scope, sorted by name,
 * and the problems found on the way, each with the address it concerns. A
 * destination with an error has no change: apply leaves it alone.
 */
export interface Plan {
  changes: Change[];
  diagnostics: Diagnostic[];
  /** The prior state the plan was made against, or null when there was none. */
  prior: { lineage: string; serial: number } | null;
  configDigest: string;
}

export interface PlanCounts {
  create: number;
  update: number;
  delete: number;
  noop: number;
}

export function countChanges(plan: Pick<Plan, 'changes'>): PlanCounts {
  const counts: PlanCounts = { create: 0, update: 0, delete: 0, noop: 0 };
  for (const change of plan.changes) {
    if (change.action === 'no-op') counts.noop++;
    else counts[change.action]++;
  }
  return counts;
}

/** Whether applying the plan would change anything, in a database or in state. */
export function hasChanges(plan: Pick<Plan, 'changes'>): boolean {
  return plan.changes.some((change) => change.action !== 'no-op');
}
