import type { Destination } from '../config/model.ts';
import type { ActualDestination, SchemaFacts } from '../plan/actual.ts';
import { quoteIdentifier } from '../plan/step-sql.ts';
import type { DestinationState } from '../state/state.ts';
import type { SchemaCheck } from './check-report.ts';

/**
 * Where the loader writes today: the schema to prove the privileges in, or
 * why there is none. `problem`, `grant` and `hint` explain a missing one.
 */
export type EffectiveSchema =
  | { kind: 'schema'; facts: SchemaFacts; fallback: boolean }
  | { kind: 'missing'; problem: string; grant?: string; hint: string };

/**
 * Decides the effective schema as apply would: the declared schema when it
 * exists. When it does not and someone may create it (the admin, or the
 * loader with CREATE on the database), apply will create it, so there is
 * nothing to prove in yet. Otherwise the documented fallback to public,
 * unless `schema_fallback: none` forbids it or there is no public schema.
 */
export function decideEffectiveSchema(
  destination: Destination,
  actual: ActualDestination,
): EffectiveSchema {
  if (actual.schema.exists) return { kind: 'schema', facts: actual.schema, fallback: false };

  const schema = destination.schema;
  const loader = destination.database.user;
  if (destination.admin !== undefined || actual.database.create) {
    return {
      kind: 'missing',
      problem: `Schema "${schema}" does not exist yet, so there is nowhere to try the privileges.`,
      hint: 'Run pgdest apply to create it, then check again.',
    };
  }

  const create = `CREATE SCHEMA ${quoteIdentifier(schema)} AUTHORIZATION ${quoteIdentifier(loader)};`;
  const grantDatabase = `GRANT CREATE ON DATABASE ${quoteIdentifier(actual.database.name)} TO ${quoteIdentifier(loader)};`;
  const why = `Schema "${schema}" does not exist, and ${loader} may not create it: it lacks CREATE on database "${actual.database.name}"`;
  const hint = `Ask an administrator to run: ${create} (or ${grantDatabase} and then pgdest apply).`;
  if (destination.schemaFallback === 'none') {
    return {
      kind: 'missing',
      problem: `${why}, and schema_fallback: none forbids falling back to public.`,
      grant: create,
      hint,
    };
  }
  if (!actual.public.exists) {
    return {
      kind: 'missing',
      problem: `${why}, and the database has no public schema to fall back to.`,
      grant: create,
      hint,
    };
  }
  return { kind: 'schema', facts: actual.public, fallback: true };
}

/** The schema part of a report, with what state recorded and whether it agrees. */
export function describeSchemaCheck(
  destination: Destination,
  effective: EffectiveSchema,
  recorded: DestinationState | undefined,
): SchemaCheck {
  const check: SchemaCheck =
    effective.kind === 'schema'
      ? {
          declared: destination.schema,
          effective: effective.facts.name,
          fallback: effective.fallback,
          ...(effective.facts.owner !== undefined && { owner: effective.facts.owner }),
        }
      : { declared: destination.schema, fallback: false, problem: effective.problem };
  if (recorded !== undefined) {
    const { effective: recordedSchema, fallback } = recorded.schema;
    check.recorded = {
      effective: recordedSchema,
      fallback,
      agrees: recordedSchema === check.effective && fallback === check.fallback,
    };
  }
  return check;
}
