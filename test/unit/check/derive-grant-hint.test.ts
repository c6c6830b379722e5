import { describe, expect, it } from 'vitest';
import { deriveGrantHint, type FailureEvidence } from '../../../src/check/derive-grant-hint.ts';
import { schemaFactsOf } from './check-fixtures.ts';

const refused = { message: 'permission denied for schema kondado', code: '42501' };
const evidence = (overrides: Partial<FailureEvidence>): FailureEvidence => ({
  loader: 'loader',
  schema: schemaFactsOf('kondado', { owner: 'keeper' }),
  privilege: 'CREATE',
  error: refused,
  createDeclared: true,
  ...overrides,
});

describe('deriveGrantHint', () => {
  it.each([
    [
      'CREATE without USAGE nor CREATE',
      { usage: false, create: false },
      'CREATE',
      'GRANT USAGE, CREATE ON SCHEMA "kondado" TO "loader";',
    ],
    [
      'CREATE without CREATE',
      { create: false },
      'CREATE',
      'GRANT CREATE ON SCHEMA "kondado" TO "loader";',
    ],
    [
      'INSERT without USAGE',
      { usage: false },
      'INSERT',
      'GRANT USAGE ON SCHEMA "kondado" TO "loader";',
    ],
    [
      'DROP without USAGE',
      { usage: false, create: false },
      'DROP',
      'GRANT USAGE ON SCHEMA "kondado" TO "loader";',
    ],
  ] as const)('grants what the catalog shows missing: %s', (_name, facts, privilege, grant) => {
    const explanation = deriveGrantHint(
      evidence({ schema: schemaFactsOf('kondado', { owner: 'keeper', ...facts }), privilege }),
    );
    expect(explanation.grant).toBe(grant);
    expect(explanation.hint).toBe(
      `Ask "keeper", who owns schema "kondado", or a superuser to run: ${grant}`,
    );
  });

  it('says the loader may restore a privilege it revoked on a schema it owns', () => {
    const explanation = deriveGrantHint(
      evidence({ schema: schemaFactsOf('kondado', { owner: 'loader', create: false }) }),
    );
    expect(explanation).toEqual({
      reason: 'loader lacks CREATE on schema "kondado", so it cannot create tables in it.',
      grant: 'GRANT CREATE ON SCHEMA "kondado" TO "loader";',
      hint: 'loader owns schema "kondado" and may restore it itself, or a superuser may: GRANT CREATE ON SCHEMA "kondado" TO "loader";',
    });
  });

  it('quotes identifiers that need it', () => {
    const explanation = deriveGrantHint(
      evidence({
        loader: 'Load"er',
        schema: schemaFactsOf('Raw Data', { usage: false }),
        privilege: 'SELECT',
      }),
    );
    expect(explanation.grant).toBe('GRANT USAGE ON SCHEMA "Raw Data" TO "Load""er";');
  });

  it('gives no grant for a step that was not tried because CREATE failed', () => {
    const explanation = deriveGrantHint(
      evidence({
        schema: schemaFactsOf('kondado', { create: false }),
        privilege: 'ALTER',
        error: undefined,
      }),
    );
    expect(explanation).toEqual({
      reason: 'There is no table to try it on, since creating one failed.',
      hint: 'Fix CREATE first, then check again.',
    });
  });

  it('explains that check needs CREATE to prove anything when CREATE is not declared', () => {
    const explanation = deriveGrantHint(
      evidence({
        schema: schemaFactsOf('kondado', { create: false }),
        privilege: 'INSERT',
        error: undefined,
        createDeclared: false,
      }),
    );
    expect(explanation.grant).toBeUndefined();
    expect(explanation.reason).toContain('CREATE is not among the declared privileges');
    expect(explanation.hint).toContain('GRANT CREATE ON SCHEMA "kondado" TO "loader";');
  });

  it.each([
    ['25006', 'cannot execute CREATE TABLE in a read-only transaction', 'The server is read-only'],
    [
      '55P03',
      'canceling statement due to lock timeout',
      'A lock was not granted within the lock timeout',
    ],
    [
      '57014',
      'canceling statement due to statement timeout',
      'The statement ran past the statement timeout',
    ],
    [
      '53100',
      'could not extend file: No space left on device',
      'PostgreSQL refused it (SQLSTATE 53100).',
    ],
  ])('reads SQLSTATE %s when the schema privileges are in place', (code, message, reason) => {
    const explanation = deriveGrantHint(evidence({ error: { message, code } }));
    expect(explanation.grant).toBeUndefined();
    expect(explanation.reason).toContain(reason);
  });

  it('names ownership when PostgreSQL says only the owner may do it', () => {
    const explanation = deriveGrantHint(
      evidence({
        privilege: 'DROP',
        error: { message: 'must be owner of table pgdest_check_0123456789ab', code: '42501' },
      }),
    );
    expect(explanation.reason).toBe(
      "Only a table's owner may drop it, and loader did not end up owning the table it created.",
    );
    expect(explanation.grant).toBeUndefined();
  });

  it('passes on the hint PostgreSQL gave', () => {
    const explanation = deriveGrantHint(
      evidence({ error: { message: 'no', code: 'XX000', hint: 'Try turning it off and on.' } }),
    );
    expect(explanation.hint).toContain('PostgreSQL suggests: Try turning it off and on.');
  });
});
