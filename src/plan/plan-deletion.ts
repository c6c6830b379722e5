import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import type { DestinationState } from '../state/state.ts';
import { priorAttributes } from './attributes.ts';
import type { Change } from './plan.ts';
import { describeStep } from './step-sql.ts';

/**
 * The deletion of a destination that state holds and the config no longer
 * declares (or that destroy removes). `forget` only drops it from state;
 * `drop` drops its schema with everything in it, and is destructive. The
 * public schema is never dropped.
 */
export function planDeletion(
  name: string,
  prior: DestinationState,
  onDelete = prior.onDelete,
): { change: Change; diagnostics: Diagnostic[] } {
  const address = `destination.${name}`;
  const base = {
    address,
    name,
    action: 'delete' as const,
    before: priorAttributes(prior),
    after: null,
  };
  const schema = prior.schema.effective;

  if (onDelete === 'forget') {
    return {
      change: {
        ...base,
        reasons: [`pgdest forgets it and keeps schema "${schema}" (on_delete: forget)`],
        steps: [],
        destructive: false,
        drift: false,
      },
      diagnostics: [],
    };
  }
  if (prior.schema.fallback || schema === 'public') {
    return {
      change: {
        ...base,
        reasons: [`pgdest forgets it; schema "${schema}" is never dropped`],
        steps: [],
        destructive: false,
        drift: false,
      },
      diagnostics: [
        {
          severity: 'warning',
          summary: 'Schema public is kept',
          detail: `The destination wrote into public after the fallback, and on_delete: drop never drops public, which other roles may use.`,
          hint: 'Drop its tables by hand if they are no longer needed.',
          address,
        },
      ],
    };
  }
  const as = prior.admin ? 'admin' : 'loader';
  return {
    change: {
      ...base,
      reasons: [`on_delete: drop drops schema "${schema}" and every table in it`],
      steps: [describeStep({ kind: 'drop-schema', as, schema })],
      destructive: true,
      drift: false,
    },
    diagnostics: [],
  };
}
