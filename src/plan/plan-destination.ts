import type { Bastion, Destination } from '../config/model.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import type { DestinationState } from '../state/state.ts';
import type { ActualDestination, SchemaFacts } from './actual.ts';
import { changedAttributes, desiredAttributes, priorAttributes } from './attributes.ts';
import { planLoaderAccess } from './plan-loader-access.ts';
import type { Change, Step } from './plan.ts';
import { describeStep, quoteIdentifier } from './step-sql.ts';

export interface DestinationInput {
  desired: Destination;
  bastion?: Bastion;
  actual: ActualDestination;
  prior?: DestinationState;
}

/**
 * Decides what one declared destination needs: the role (with an admin), the
 * schema or the documented fallback to public, and the grants, then compares
 * the result with what state recorded. Problems that apply cannot repair are
 * error diagnostics, and then there is no change.
 */
export function planDestination(input: DestinationInput): {
  change?: Change;
  diagnostics: Diagnostic[];
} {
  const { desired, actual, prior } = input;
  const loader = desired.database.user;
  const admin = desired.admin !== undefined;
  const steps: Step[] = [];
  const reasons: string[] = [];
  const diagnostics: Diagnostic[] = [];
  const at = { address: desired.address };

  // The loader's role and its privileges on the database, which apply repairs with an admin.
  const access = planLoaderAccess(desired, actual);
  steps.push(...access.steps);
  reasons.push(...access.reasons);
  if (access.diagnostics.length > 0) return { diagnostics: access.diagnostics };

  // The schema: it exists, or someone creates it, or the loader falls back to public.
  let effective: SchemaFacts | undefined = actual.schema;
  let createdForLoader = false;
  if (!actual.schema.exists) {
    if (admin) {
      steps.push(
        describeStep({ kind: 'create-schema', as: 'admin', schema: desired.schema, owner: loader }),
      );
      createdForLoader = true;
      reasons.push(`schema "${desired.schema}" does not exist`);
    } else if (actual.database.create) {
      steps.push(describeStep({ kind: 'create-schema', as: 'loader', schema: desired.schema }));
      createdForLoader = true;
      reasons.push(`schema "${desired.schema}" does not exist`);
    } else {
      const fallback = planFallback(desired, actual);
      // A fallback that state already records was warned of when it was applied.
      const known =
        prior?.schema.fallback === true && prior.schema.effective === fallback.schema?.name;
      const reported = fallback.diagnostics.filter((d) => d.severity === 'error' || !known);
      diagnostics.push(
        ...reported.map((d) => ({
          ...d,
          ...at,
          code: d.severity === 'error' ? ('missing-privileges' as const) : ('fallback' as const),
        })),
      );
      effective = fallback.schema;
    }
  }
  if (!effective) return { diagnostics };

  // The loader's privileges in the schema it will write into.
  if (!createdForLoader) {
    for (const privilege of missingSchemaPrivileges(desired, effective)) {
      if (admin) {
        steps.push(
          describeStep({
            kind: 'grant',
            as: 'admin',
            privilege,
            on: 'schema',
            object: effective.name,
            role: loader,
          }),
        );
        reasons.push(`${loader} lacks ${privilege} on schema "${effective.name}"`);
      } else {
        diagnostics.push(missingPrivilegeError(desired, effective, privilege));
      }
    }
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  if (
    effective.foreignTableCount > 0 &&
    (desired.privileges.includes('ALTER') || desired.privileges.includes('DROP'))
  ) {
    diagnostics.push(foreignTablesWarning(desired, effective));
  }

  // Compare with what state recorded.
  const after = desiredAttributes(desired, input.bastion, effective.name);
  if (!prior) {
    if (effective.name !== desired.schema)
      reasons.push(
        `schema "${desired.schema}" cannot be created; the loader writes into ${effective.name}`,
      );
    else if (steps.length === 0) reasons.push(describeTracking(effective.name));
    return {
      change: {
        address: desired.address,
        name: desired.name,
        action: 'create',
        before: null,
        after,
        reasons,
        steps,
        destructive: false,
        drift: false,
      },
      diagnostics,
    };
  }
  const before = priorAttributes(prior);
  const changed = changedAttributes(before, after);
  const driftReasons = reasons.map((reason) =>
    reason === `schema "${desired.schema}" does not exist` &&
    prior.schema.effective === desired.schema
      ? `schema "${desired.schema}" no longer exists`
      : reason,
  );
  const attributeReasons = changed.map(
    (key) => `${key} changes from ${show(before[key])} to ${show(after[key])}`,
  );
  const action: Change['action'] = steps.length > 0 || changed.length > 0 ? 'update' : 'no-op';
  const change: Change = {
    address: desired.address,
    name: desired.name,
    action,
    before,
    after,
    reasons: [...driftReasons, ...attributeReasons],
    steps,
    destructive: false,
    drift: steps.length > 0,
  };
  return { change, diagnostics };
}

/** The reason of a new destination with nothing to do but be recorded in state. */
export function describeTracking(schema: string): string {
  return `schema "${schema}" is ready; pgdest starts tracking it`;
}

/** The schema privileges the declared ones need: USAGE always, CREATE to create tables. */
function missingSchemaPrivileges(
  desired: Destination,
  schema: SchemaFacts,
): ('USAGE' | 'CREATE')[] {
  const missing: ('USAGE' | 'CREATE')[] = [];
  if (!schema.usage) missing.push('USAGE');
  if (!schema.create && desired.privileges.includes('CREATE')) missing.push('CREATE');
  return missing;
}

/** The documented fallback: public, when the loader may write there and the config allows it. */
function planFallback(
  desired: Destination,
  actual: ActualDestination,
): { schema?: SchemaFacts; diagnostics: Diagnostic[] } {
  const loader = quoteIdentifier(desired.database.user);
  const schema = quoteIdentifier(desired.schema);
  const database = quoteIdentifier(actual.database.name);
  const why = `Schema "${desired.schema}" does not exist, and ${desired.database.user} may not create it: it lacks CREATE on database "${actual.database.name}".`;
  const grants = `CREATE SCHEMA ${schema} AUTHORIZATION ${loader}; or GRANT CREATE ON DATABASE ${database} TO ${loader};`;

  if (desired.schemaFallback === 'none') {
    return {
      diagnostics: [
        {
          severity: 'error',
          summary: `Schema "${desired.schema}" cannot be created`,
          detail: `${why} schema_fallback: none forbids falling back to public.`,
          hint: `Ask an administrator to run ${grants} or give the destination an admin login.`,
        },
      ],
    };
  }
  const publicSchema = actual.public;
  const needsCreate = desired.privileges.includes('CREATE');
  if (!publicSchema.exists || !publicSchema.usage || (needsCreate && !publicSchema.create)) {
    const publicWhy = !publicSchema.exists
      ? 'the database has no public schema'
      : 'it may not create tables in public either (PostgreSQL 15 and later no longer let every role create in public)';
    return {
      diagnostics: [
        {
          severity: 'error',
          summary: 'Cannot fall back to public',
          detail: `${why} The documented fallback is public, but ${publicWhy}.`,
          hint: `Ask an administrator to run ${grants} or GRANT USAGE, CREATE ON SCHEMA public TO ${loader};`,
        },
      ],
    };
  }
  return {
    schema: publicSchema,
    diagnostics: [
      {
        severity: 'warning',
        summary: 'Falling back to schema public',
        detail: `${why} As documented, the destination will write into public instead.`,
        hint: `To use "${desired.schema}", ask an administrator to run ${grants} or set schema_fallback: none to make this an error.`,
      },
    ],
  };
}

function missingPrivilegeError(
  desired: Destination,
  schema: SchemaFacts,
  privilege: 'USAGE' | 'CREATE',
): Diagnostic {
  const loader = desired.database.user;
  const needs = privilege === 'USAGE' ? 'to reach anything in it' : 'to create tables in it';
  return {
    severity: 'error',
    summary: `${loader} lacks ${privilege} on schema "${schema.name}"`,
    detail: `The loader needs ${privilege} on schema "${schema.name}" ${needs}, and pgdest cannot grant it without an admin login.`,
    hint: `Ask an administrator to run: GRANT ${privilege} ON SCHEMA ${quoteIdentifier(schema.name)} TO ${quoteIdentifier(loader)}; or give the destination an admin login.`,
    address: desired.address,
    code: 'missing-privileges',
  };
}

function foreignTablesWarning(desired: Destination, schema: SchemaFacts): Diagnostic {
  const shown = schema.foreignTables
    .slice(0, 5)
    .map((t) => `"${t}"`)
    .join(', ');
  const more = schema.foreignTableCount > 5 ? ` and ${schema.foreignTableCount - 5} more` : '';
  return {
    severity: 'warning',
    summary:
      schema.foreignTableCount === 1
        ? `1 table in schema "${schema.name}" belongs to another role`
        : `${schema.foreignTableCount} tables in schema "${schema.name}" belong to other roles`,
    detail: `${desired.database.user} cannot ALTER or DROP ${shown}${more}, since only a table's owner may.`,
    hint: `If the loader must change them, an administrator can run ALTER TABLE ... OWNER TO ${quoteIdentifier(desired.database.user)}; \`pgdest check\` lists them.`,
    address: desired.address,
  };
}

function show(value: unknown): string {
  if (value === null) return '(none)';
  if (Array.isArray(value)) return `[${value.join(', ')}]`;
  return typeof value === 'string' ? `"${value}"` : String(value);
}
