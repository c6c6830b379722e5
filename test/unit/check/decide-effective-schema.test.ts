import { describe, expect, it } from 'vitest';
import {
  decideEffectiveSchema,
  describeSchemaCheck,
} from '../../../src/check/decide-effective-schema.ts';
import { destinationOf } from '../../support/model-builders.ts';
import { actualOf } from './check-fixtures.ts';

const missing = { exists: false, owner: undefined, usage: false, create: false };

describe('decideEffectiveSchema', () => {
  it('uses the declared schema when it exists', () => {
    expect(decideEffectiveSchema(destinationOf(), actualOf())).toMatchObject({
      kind: 'schema',
      fallback: false,
      facts: { name: 'kondado' },
    });
  });

  it('falls back to public when the schema is missing and the loader may not create it', () => {
    expect(decideEffectiveSchema(destinationOf(), actualOf({ schema: missing }))).toMatchObject({
      kind: 'schema',
      fallback: true,
      facts: { name: 'public' },
    });
  });

  it('finds nothing to prove in yet when apply will create the schema', () => {
    for (const [destination, actual] of [
      [destinationOf(), actualOf({ schema: missing, database: { create: true } })],
      [destinationOf('warehouse', { admin: { user: 'postgres' } }), actualOf({ schema: missing })],
    ] as const) {
      expect(decideEffectiveSchema(destination, actual)).toEqual({
        kind: 'missing',
        problem: 'Schema "kondado" does not exist yet, so there is nowhere to try the privileges.',
        hint: 'Run pgdest apply to create it, then check again.',
      });
    }
  });

  it('refuses the fallback with schema_fallback: none, saying what an administrator would run', () => {
    const effective = decideEffectiveSchema(
      destinationOf('warehouse', { schemaFallback: 'none' }),
      actualOf({ schema: missing }),
    );
    expect(effective).toEqual({
      kind: 'missing',
      problem:
        'Schema "kondado" does not exist, and loader may not create it: it lacks CREATE on database "analytics", and schema_fallback: none forbids falling back to public.',
      grant: 'CREATE SCHEMA "kondado" AUTHORIZATION "loader";',
      hint: 'Ask an administrator to run: CREATE SCHEMA "kondado" AUTHORIZATION "loader"; (or GRANT CREATE ON DATABASE "analytics" TO "loader"; and then pgdest apply).',
    });
  });

  it('has nowhere to go when the database has no public schema', () => {
    const effective = decideEffectiveSchema(
      destinationOf(),
      actualOf({ schema: missing, public: missing }),
    );
    expect(effective).toMatchObject({
      kind: 'missing',
      problem: expect.stringContaining('the database has no public schema to fall back to'),
    });
  });
});

describe('describeSchemaCheck', () => {
  const recorded = (effective: string, fallback: boolean) =>
    ({ schema: { requested: 'kondado', effective, fallback } }) as never;

  it('agrees with state that recorded the same fallback', () => {
    const effective = decideEffectiveSchema(destinationOf(), actualOf({ schema: missing }));
    expect(describeSchemaCheck(destinationOf(), effective, recorded('public', true))).toEqual({
      declared: 'kondado',
      effective: 'public',
      fallback: true,
      owner: 'pg_database_owner',
      recorded: { effective: 'public', fallback: true, agrees: true },
    });
  });

  it('disagrees with state that recorded another schema', () => {
    const effective = decideEffectiveSchema(destinationOf(), actualOf());
    expect(
      describeSchemaCheck(destinationOf(), effective, recorded('public', true)).recorded,
    ).toEqual({ effective: 'public', fallback: true, agrees: false });
  });
});
