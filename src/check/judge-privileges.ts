import { allPrivileges, type Privilege } from '../config/model.ts';
import type { PrivilegeProbe } from '../database/probe-privileges.ts';
import type { PrivilegeCheck } from './check-report.ts';
import type { EffectiveSchema } from './decide-effective-schema.ts';
import { deriveGrantHint } from './derive-grant-hint.ts';

/** Everything the verdict on one destination's privileges rests on. */
export interface PrivilegeEvidence {
  loader: string;
  declared: readonly Privilege[];
  schema: EffectiveSchema;
  /** The probe's steps; absent when there was no schema to run it in. */
  probe?: PrivilegeProbe;
}

// The order the probe proves them in (CREATE first, DROP last) is the order
// they are reported in.
const order = allPrivileges;

/**
 * The verdict on each declared privilege: proven, failed with PostgreSQL's
 * answer, or not proven for want of a table to try it on; every failure with
 * its reason and the GRANT that fixes it. Without an effective schema, every
 * privilege fails for that reason.
 */
export function judgePrivileges(evidence: PrivilegeEvidence): PrivilegeCheck[] {
  const declared = order.filter((privilege) => evidence.declared.includes(privilege));
  const { schema } = evidence;
  if (schema.kind === 'missing') {
    return declared.map((privilege) => ({
      privilege,
      status: 'failed',
      reason: schema.problem,
      ...(schema.grant !== undefined && { grant: schema.grant }),
      hint: schema.hint,
    }));
  }

  return declared.map((privilege): PrivilegeCheck => {
    const step = evidence.probe?.steps.find((candidate) => candidate.privilege === privilege);
    if (step?.outcome === 'ok')
      return { privilege, status: 'ok', statement: step.statement, elapsedMs: step.elapsedMs };
    const error = step?.outcome === 'failed' ? step.error : undefined;
    const explanation = deriveGrantHint({
      loader: evidence.loader,
      schema: schema.facts,
      privilege,
      createDeclared: declared.includes('CREATE'),
      ...(error !== undefined && { error }),
    });
    return {
      privilege,
      status: step?.outcome === 'failed' ? 'failed' : 'not-proven',
      ...(step !== undefined && { statement: step.statement }),
      ...(step?.outcome === 'failed' && { elapsedMs: step.elapsedMs, error: step.error }),
      ...explanation,
    };
  });
}

/** Every declared privilege as not proven, for a destination that could not be checked. */
export function notProven(declared: readonly Privilege[], reason: string): PrivilegeCheck[] {
  return order
    .filter((privilege) => declared.includes(privilege))
    .map((privilege) => ({ privilege, status: 'not-proven', reason }));
}
