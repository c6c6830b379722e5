import { describe, expect, it } from 'vitest';
import { judgePrivileges, notProven } from '../../../src/check/judge-privileges.ts';
import { probeOf, schemaFactsOf, stepOf } from './check-fixtures.ts';

const everything = ['DROP', 'INSERT', 'CREATE', 'ALTER', 'SELECT', 'DELETE'] as const;

describe('judgePrivileges', () => {
  it('reports every declared privilege proven, in the order the probe uses them', () => {
    const probe = probeOf(
      ['CREATE', 'ALTER', 'INSERT', 'SELECT', 'DELETE', 'DROP'].map((p) =>
        stepOf(p as never, 'ok'),
      ),
    );
    const checks = judgePrivileges({
      loader: 'loader',
      declared: everything,
      schema: { kind: 'schema', facts: schemaFactsOf(), fallback: false },
      probe,
    });
    expect(checks.map((c) => [c.privilege, c.status])).toEqual([
      ['CREATE', 'ok'],
      ['ALTER', 'ok'],
      ['INSERT', 'ok'],
      ['SELECT', 'ok'],
      ['DELETE', 'ok'],
      ['DROP', 'ok'],
    ]);
    expect(checks[0]).toEqual({
      privilege: 'CREATE',
      status: 'ok',
      statement: 'CREATE TABLE "kondado"."pgdest_check_0123456789ab" (id integer)',
      elapsedMs: 2,
    });
  });

  it('fails CREATE with the GRANT and reports the rest as not proven when CREATE was revoked', () => {
    const probe = probeOf([
      stepOf('CREATE', 'failed'),
      ...(['ALTER', 'INSERT', 'SELECT', 'DELETE', 'DROP'] as const).map((p) =>
        stepOf(p, 'skipped'),
      ),
    ]);
    const checks = judgePrivileges({
      loader: 'loader',
      declared: everything,
      schema: {
        kind: 'schema',
        facts: schemaFactsOf('kondado', { create: false, owner: 'keeper' }),
        fallback: false,
      },
      probe,
    });
    expect(checks[0]).toMatchObject({
      privilege: 'CREATE',
      status: 'failed',
      error: { code: '42501' },
      grant: 'GRANT CREATE ON SCHEMA "kondado" TO "loader";',
    });
    expect(checks.slice(1).map((c) => c.status)).toEqual([
      'not-proven',
      'not-proven',
      'not-proven',
      'not-proven',
      'not-proven',
    ]);
    expect(checks[1]).not.toHaveProperty('grant');
  });

  it('fails every step after CREATE with a USAGE grant when USAGE was revoked', () => {
    const probe = probeOf([
      stepOf('CREATE', 'ok'),
      ...(['ALTER', 'INSERT', 'SELECT', 'DELETE', 'DROP'] as const).map((p) => stepOf(p, 'failed')),
    ]);
    const checks = judgePrivileges({
      loader: 'loader',
      declared: everything,
      schema: {
        kind: 'schema',
        facts: schemaFactsOf('kondado', { usage: false, owner: 'keeper' }),
        fallback: false,
      },
      probe,
    });
    expect(checks[0]!.status).toBe('ok');
    for (const check of checks.slice(1))
      expect(check).toMatchObject({
        status: 'failed',
        grant: 'GRANT USAGE ON SCHEMA "kondado" TO "loader";',
      });
  });

  it('reports only the declared privileges, though the probe always creates its table', () => {
    const probe = probeOf([stepOf('CREATE', 'ok'), stepOf('INSERT', 'ok'), stepOf('SELECT', 'ok')]);
    const checks = judgePrivileges({
      loader: 'loader',
      declared: ['SELECT', 'INSERT'],
      schema: { kind: 'schema', facts: schemaFactsOf(), fallback: false },
      probe,
    });
    expect(checks.map((c) => c.privilege)).toEqual(['INSERT', 'SELECT']);
  });

  it('fails every privilege with the reason when there is no schema to write into', () => {
    const schema = {
      kind: 'missing' as const,
      problem: 'Schema "kondado" does not exist.',
      grant: 'CREATE SCHEMA "kondado" AUTHORIZATION "loader";',
      hint: 'Ask an administrator.',
    };
    const checks = judgePrivileges({ loader: 'loader', declared: ['CREATE', 'INSERT'], schema });
    expect(checks).toEqual([
      {
        privilege: 'CREATE',
        status: 'failed',
        reason: schema.problem,
        grant: schema.grant,
        hint: schema.hint,
      },
      {
        privilege: 'INSERT',
        status: 'failed',
        reason: schema.problem,
        grant: schema.grant,
        hint: schema.hint,
      },
    ]);
  });

  it('marks every declared privilege not proven for a destination that was not reached', () => {
    expect(notProven(['SELECT', 'CREATE'], 'Not tried.')).toEqual([
      { privilege: 'CREATE', status: 'not-proven', reason: 'Not tried.' },
      { privilege: 'SELECT', status: 'not-proven', reason: 'Not tried.' },
    ]);
  });
});
