import { describe, expect, it } from 'vitest';
import { Secret } from '../../../src/config/secret.ts';
import type { Destination } from '../../../src/config/model.ts';
import type { ActualDestination, Observation } from '../../../src/plan/actual.ts';
import { buildPlan } from '../../../src/plan/build-plan.ts';
import type { Plan } from '../../../src/plan/plan.ts';
import { reconcileSavedPlan } from '../../../src/plan/reconcile-saved-plan.ts';
import { actualOf, configOf, destinationOf, priorEntry, stateOf } from './plan-fixtures.ts';

const admin = { user: 'postgres', password: new Secret('env:ADMIN_PASSWORD', 'fixture-admin') };
const managed = (name: string, overrides: Partial<Destination> = {}) =>
  destinationOf(name, { schema: `${name}_raw`, admin, ...overrides });

/** What the admin sees before anything exists: no loader, and no schema. */
const newLoader = (schema: string, overrides: Parameters<typeof actualOf>[1] = {}) =>
  actualOf(schema, {
    inspectedAs: 'postgres',
    loader: { exists: false, canLogin: false },
    database: { connect: false, create: false },
    schema: { exists: false, usage: false, create: false },
    ...overrides,
  });
const observe = (entries: Record<string, ActualDestination>) =>
  new Map<string, Observation>(
    Object.entries(entries).map(([name, actual]) => [name, { kind: 'observed', actual }]),
  );
const stepsOf = (plan: Plan) =>
  Object.fromEntries(plan.changes.map((c) => [c.name, c.steps.map((s) => s.sql)]));
const reasonsOf = (plan: Plan) => Object.fromEntries(plan.changes.map((c) => [c.name, c.reasons]));

describe('planning destinations that share a loader', () => {
  const config = configOf(managed('crm'), managed('ads'), managed('billing'));
  const observations = observe({
    crm: newLoader('crm_raw'),
    ads: newLoader('ads_raw'),
    billing: newLoader('billing_raw'),
  });

  it('creates the role and grants on the database once, in the first destination by name', () => {
    const plan = buildPlan(config, observations, undefined);
    expect(stepsOf(plan)).toEqual({
      ads: [
        'CREATE ROLE "loader" LOGIN PASSWORD (sensitive)',
        'GRANT CONNECT ON DATABASE "analytics" TO "loader"',
        'GRANT CREATE ON DATABASE "analytics" TO "loader"',
        'CREATE SCHEMA "ads_raw" AUTHORIZATION "loader"',
      ],
      billing: ['CREATE SCHEMA "billing_raw" AUTHORIZATION "loader"'],
      crm: ['CREATE SCHEMA "crm_raw" AUTHORIZATION "loader"'],
    });
    expect(reasonsOf(plan)).toEqual({
      ads: ['role "loader" does not exist', 'schema "ads_raw" does not exist'],
      billing: ['schema "billing_raw" does not exist'],
      crm: ['schema "crm_raw" does not exist'],
    });
    expect(plan.changes.map((c) => c.action)).toEqual(['create', 'create', 'create']);
    expect(plan.diagnostics).toEqual([]);
  });

  it('gives the role to the first targeted destination when --target leaves out the others', () => {
    const plan = buildPlan(config, observations, undefined, { targets: ['crm', 'billing'] });
    expect(stepsOf(plan)).toEqual({
      billing: [
        'CREATE ROLE "loader" LOGIN PASSWORD (sensitive)',
        'GRANT CONNECT ON DATABASE "analytics" TO "loader"',
        'GRANT CREATE ON DATABASE "analytics" TO "loader"',
        'CREATE SCHEMA "billing_raw" AUTHORIZATION "loader"',
      ],
      crm: ['CREATE SCHEMA "crm_raw" AUTHORIZATION "loader"'],
    });
  });

  it('gives the role to the next destination when the first cannot be planned', () => {
    const plan = buildPlan(
      config,
      new Map([...observations, ['ads', { kind: 'unreachable', diagnostics: [] }]]),
      undefined,
    );
    expect(stepsOf(plan).billing![0]).toBe('CREATE ROLE "loader" LOGIN PASSWORD (sensitive)');
    expect(stepsOf(plan).crm).toEqual(['CREATE SCHEMA "crm_raw" AUTHORIZATION "loader"']);
  });

  it('repairs a database grant they all lack once, and leaves the others unchanged', () => {
    const revoked = (schema: string) =>
      actualOf(schema, { inspectedAs: 'postgres', database: { connect: false } });
    const prior = stateOf(
      Object.fromEntries(
        ['crm', 'ads', 'billing'].map((name) => [
          name,
          priorEntry({
            schema: { requested: `${name}_raw`, effective: `${name}_raw`, fallback: false },
            admin: { user: 'postgres', passwordFrom: 'env:ADMIN_PASSWORD' },
          }),
        ]),
      ),
    );
    const plan = buildPlan(
      config,
      observe({
        crm: revoked('crm_raw'),
        ads: revoked('ads_raw'),
        billing: revoked('billing_raw'),
      }),
      prior,
    );
    expect(plan.changes.map((c) => [c.name, c.action, c.drift, c.reasons])).toEqual([
      ['ads', 'update', true, ['loader lacks CONNECT on database "analytics"']],
      ['billing', 'no-op', false, []],
      ['crm', 'no-op', false, []],
    ]);
    expect(stepsOf(plan).ads).toEqual(['GRANT CONNECT ON DATABASE "analytics" TO "loader"']);
  });

  it('creates a role once per server, and grants on each database', () => {
    const elsewhere = { ...managed('crm').database, name: 'marketing' };
    const plan = buildPlan(
      configOf(managed('ads'), managed('crm', { database: elsewhere })),
      observe({
        ads: newLoader('ads_raw'),
        crm: newLoader('crm_raw', {
          database: { name: 'marketing', connect: false, create: false },
        }),
      }),
      undefined,
    );
    expect(stepsOf(plan).crm).toEqual([
      'GRANT CONNECT ON DATABASE "marketing" TO "loader"',
      'GRANT CREATE ON DATABASE "marketing" TO "loader"',
      'CREATE SCHEMA "crm_raw" AUTHORIZATION "loader"',
    ]);
  });

  it('creates a role of the same name on each of two servers', () => {
    const other = { ...managed('crm').database, host: '10.0.2.9' };
    const plan = buildPlan(
      configOf(managed('ads'), managed('crm', { database: other })),
      observe({ ads: newLoader('ads_raw'), crm: newLoader('crm_raw') }),
      undefined,
    );
    expect(stepsOf(plan).crm![0]).toBe('CREATE ROLE "loader" LOGIN PASSWORD (sensitive)');
  });

  it('refuses to create a role that the destinations give different passwords', () => {
    const other = {
      ...managed('crm').database,
      password: new Secret('env:CRM_PASSWORD', 'fixture-other-password'),
    };
    const plan = buildPlan(
      configOf(managed('ads'), managed('billing'), managed('crm', { database: other })),
      observations,
      undefined,
    );
    expect(plan.changes).toEqual([]);
    expect(plan.diagnostics.map((d) => [d.severity, d.summary, d.address])).toEqual([
      ['error', 'Role "loader" is given different passwords', 'destination.ads'],
      ['error', 'Role "loader" is given different passwords', 'destination.billing'],
      ['error', 'Role "loader" is given different passwords', 'destination.crm'],
    ]);
    expect(JSON.stringify(plan.diagnostics)).not.toContain('fixture-other-password');
    expect(JSON.stringify(plan.diagnostics)).not.toContain('fixture-password');
  });

  it('lets a saved plan apply when the databases still need what it shows', () => {
    const saved = buildPlan(config, observations, undefined, { targets: ['crm', 'billing'] });
    const fresh = buildPlan(config, observations, undefined, { targets: ['billing', 'crm'] });
    const result = reconcileSavedPlan(saved, fresh);
    expect(result.diagnostics).toEqual([]);
    expect(result.changes.flatMap((c) => c.steps.map((s) => s.sql))).toEqual([
      'CREATE ROLE "loader" LOGIN PASSWORD (sensitive)',
      'GRANT CONNECT ON DATABASE "analytics" TO "loader"',
      'GRANT CREATE ON DATABASE "analytics" TO "loader"',
      'CREATE SCHEMA "billing_raw" AUTHORIZATION "loader"',
      'CREATE SCHEMA "crm_raw" AUTHORIZATION "loader"',
    ]);
  });
});

describe('planning a loader that may not log in', () => {
  const nologin = actualOf('kondado', { inspectedAs: 'postgres', loader: { canLogin: false } });

  it('gives it LOGIN back as an update, with an admin', () => {
    const plan = buildPlan(
      configOf(destinationOf('warehouse', { admin })),
      observe({ warehouse: nologin }),
      stateOf({
        warehouse: priorEntry({ admin: { user: 'postgres', passwordFrom: 'env:ADMIN_PASSWORD' } }),
      }),
    );
    expect(plan.changes).toMatchObject([
      {
        action: 'update',
        drift: true,
        reasons: ['role "loader" may not log in (NOLOGIN)'],
        steps: [{ kind: 'alter-role', as: 'admin', sql: 'ALTER ROLE "loader" LOGIN' }],
      },
    ]);
  });

  it('is an error that says what an administrator would run, without an admin', () => {
    const plan = buildPlan(
      configOf(destinationOf()),
      observe({ warehouse: nologin }),
      stateOf({ warehouse: priorEntry() }),
    );
    expect(plan.changes).toEqual([]);
    expect(plan.diagnostics).toMatchObject([
      {
        severity: 'error',
        summary: 'Role "loader" may not log in',
        hint: 'Ask an administrator to run: ALTER ROLE "loader" LOGIN; or give the destination an admin login.',
        address: 'destination.warehouse',
        code: 'login-refused',
      },
    ]);
  });
});
