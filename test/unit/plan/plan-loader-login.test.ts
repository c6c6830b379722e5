import { describe, expect, it } from 'vitest';
import type { Destination } from '../../../src/config/model.ts';
import { Secret } from '../../../src/config/secret.ts';
import type { Diagnostic } from '../../../src/diagnostics/diagnostic.ts';
import type { ActualDestination, LoaderLogin, Observation } from '../../../src/plan/actual.ts';
import { buildPlan } from '../../../src/plan/build-plan.ts';
import { fromPlanDocument, toPlanDocument } from '../../../src/plan/plan-document.ts';
import type { Plan } from '../../../src/plan/plan.ts';
import { reconcileSavedPlan } from '../../../src/plan/reconcile-saved-plan.ts';
import { renderStepSql } from '../../../src/plan/step-sql.ts';
import { actualOf, configOf, destinationOf, priorEntry, stateOf } from './plan-fixtures.ts';

const admin = { user: 'postgres', password: new Secret('env:ADMIN_PASSWORD', 'fixture-admin') };
const managed = (name: string, overrides: Partial<Destination> = {}) =>
  destinationOf(name, { schema: `${name}_raw`, admin, ...overrides });
const managedPrior = (name: string, database = 'analytics') =>
  priorEntry({
    database: { ...priorEntry().database, name: database },
    schema: { requested: `${name}_raw`, effective: `${name}_raw`, fallback: false },
    admin: { user: 'postgres', passwordFrom: 'env:ADMIN_PASSWORD' },
  });

const hbaRefusal: Diagnostic = {
  severity: 'error',
  summary: 'pg_hba.conf of the server refuses loader on database "analytics" at 10.0.1.5:5432',
  detail: 'The server said: pg_hba.conf rejects connection for host "10.0.1.2".',
  hint: 'Ask the database administrator for a pg_hba.conf line for user loader.',
  code: 'login-refused',
};
const refused = (reason: 'password' | 'not-permitted' | 'other'): LoaderLogin => ({
  kind: 'refused',
  reason,
  diagnostics: reason === 'other' ? [hbaRefusal] : [],
});

/** What the admin sees of a ready destination, and how the loader's own login went. */
const seen = (
  schema: string,
  login: LoaderLogin,
  overrides: Parameters<typeof actualOf>[1] = {},
): ActualDestination =>
  actualOf(schema, {
    inspectedAs: 'postgres',
    ...overrides,
    loader: { ...overrides.loader, login },
  });
const observe = (entries: Record<string, ActualDestination>) =>
  new Map<string, Observation>(
    Object.entries(entries).map(([name, actual]) => [name, { kind: 'observed', actual }]),
  );
const stepsOf = (plan: Plan) =>
  Object.fromEntries(plan.changes.map((c) => [c.name, c.steps.map((s) => s.sql)]));

describe('planning the loader’s own login, with an admin', () => {
  it('sets the configured password when PostgreSQL refused it, as drift the admin repairs', () => {
    const plan = buildPlan(
      configOf(managed('crm')),
      observe({ crm: seen('crm_raw', refused('password')) }),
      stateOf({ crm: managedPrior('crm') }),
    );
    expect(plan.changes).toEqual([
      expect.objectContaining({
        action: 'update',
        drift: true,
        reasons: ['role "loader" cannot log in with the configured password'],
        steps: [
          {
            kind: 'set-password',
            as: 'admin',
            role: 'loader',
            sql: 'ALTER ROLE "loader" PASSWORD (sensitive)',
          },
        ],
      }),
    ]);
    expect(plan.diagnostics).toEqual([]);
    expect(JSON.stringify(plan)).not.toContain('fixture-password');
  });

  it('sets the password of a role that already exists before a new destination uses it', () => {
    const plan = buildPlan(
      configOf(managed('crm')),
      observe({
        crm: seen('crm_raw', refused('password'), {
          schema: { exists: false, usage: false, create: false },
        }),
      }),
      undefined,
    );
    expect(plan.changes[0]).toMatchObject({
      action: 'create',
      reasons: [
        'role "loader" cannot log in with the configured password',
        'schema "crm_raw" does not exist',
      ],
    });
    expect(stepsOf(plan).crm).toEqual([
      'ALTER ROLE "loader" PASSWORD (sensitive)',
      'CREATE SCHEMA "crm_raw" AUTHORIZATION "loader"',
    ]);
  });

  it('has nothing to do when the loader logged in', () => {
    const plan = buildPlan(
      configOf(managed('crm')),
      observe({ crm: seen('crm_raw', { kind: 'accepted' }) }),
      stateOf({ crm: managedPrior('crm') }),
    );
    expect(plan.changes).toMatchObject([{ action: 'no-op', steps: [] }]);
  });

  it('ignores a refused login for a role that does not exist yet, which it creates', () => {
    const plan = buildPlan(
      configOf(managed('crm')),
      observe({
        crm: seen('crm_raw', refused('password'), {
          loader: { exists: false, canLogin: false },
          database: { connect: false, create: false },
        }),
      }),
      undefined,
    );
    expect(stepsOf(plan).crm).toEqual([
      'CREATE ROLE "loader" LOGIN PASSWORD (sensitive)',
      'GRANT CONNECT ON DATABASE "analytics" TO "loader"',
      'GRANT CREATE ON DATABASE "analytics" TO "loader"',
    ]);
    expect(plan.diagnostics).toEqual([]);
  });

  it('gives a NOLOGIN loader LOGIN alone when its password got past PostgreSQL', () => {
    const plan = buildPlan(
      configOf(managed('crm')),
      observe({ crm: seen('crm_raw', refused('not-permitted'), { loader: { canLogin: false } }) }),
      stateOf({ crm: managedPrior('crm') }),
    );
    expect(stepsOf(plan).crm).toEqual(['ALTER ROLE "loader" LOGIN']);
  });

  it('gives a NOLOGIN loader both LOGIN and the configured password when the password was refused', () => {
    const plan = buildPlan(
      configOf(managed('crm')),
      observe({ crm: seen('crm_raw', refused('password'), { loader: { canLogin: false } }) }),
      stateOf({ crm: managedPrior('crm') }),
    );
    expect(stepsOf(plan).crm).toEqual([
      'ALTER ROLE "loader" LOGIN',
      'ALTER ROLE "loader" PASSWORD (sensitive)',
    ]);
    expect(plan.changes[0]!.reasons).toEqual([
      'role "loader" may not log in (NOLOGIN)',
      'role "loader" cannot log in with the configured password',
    ]);
  });

  it('keeps any other refusal, such as pg_hba.conf’s, an error for the destination', () => {
    const plan = buildPlan(
      configOf(
        managed('crm'),
        managed('ads', { database: { ...managed('ads').database, user: 'ads_loader' } }),
      ),
      observe({
        crm: seen('crm_raw', refused('other')),
        ads: seen('ads_raw', { kind: 'accepted' }, { loader: { name: 'ads_loader' } }),
      }),
      undefined,
    );
    expect(plan.changes.map((c) => c.name)).toEqual(['ads']);
    expect(plan.diagnostics).toEqual([{ ...hbaRefusal, address: 'destination.crm' }]);
  });

  it('is an error when the password was refused and none is configured to set', () => {
    const withoutPassword = { ...managed('crm').database, password: undefined };
    const plan = buildPlan(
      configOf(managed('crm', { database: withoutPassword })),
      observe({
        crm: seen('crm_raw', { kind: 'refused', reason: 'password', diagnostics: [hbaRefusal] }),
      }),
      undefined,
    );
    expect(plan.changes).toEqual([]);
    expect(plan.diagnostics.map((d) => d.address)).toEqual(['destination.crm']);
  });

  it('sets the password once for destinations that share the loader', () => {
    const config = configOf(
      managed('crm'),
      managed('ads'),
      managed('billing', { database: { ...managed('billing').database, name: 'billing' } }),
    );
    const plan = buildPlan(
      config,
      observe({
        crm: seen('crm_raw', refused('password')),
        ads: seen('ads_raw', refused('password')),
        billing: seen('billing_raw', refused('password'), { database: { name: 'billing' } }),
      }),
      stateOf({
        crm: managedPrior('crm'),
        ads: managedPrior('ads'),
        billing: managedPrior('billing', 'billing'),
      }),
    );
    expect(plan.changes.map((c) => [c.name, c.action, c.reasons])).toEqual([
      ['ads', 'update', ['role "loader" cannot log in with the configured password']],
      ['billing', 'no-op', []],
      ['crm', 'no-op', []],
    ]);
    expect(stepsOf(plan).ads).toEqual(['ALTER ROLE "loader" PASSWORD (sensitive)']);
  });

  it('refuses to set a password that would lock out another destination of the loader', () => {
    const other = {
      ...managed('crm').database,
      password: new Secret('env:CRM_PASSWORD', 'fixture-other-password'),
    };
    const plan = buildPlan(
      configOf(managed('ads'), destinationOf('crm', { schema: 'crm_raw', database: other })),
      observe({
        ads: seen('ads_raw', refused('password')),
        crm: actualOf('crm_raw'),
      }),
      stateOf({
        ads: managedPrior('ads'),
        crm: priorEntry({
          schema: { requested: 'crm_raw', effective: 'crm_raw', fallback: false },
        }),
      }),
    );
    expect(plan.changes.map((c) => [c.name, c.action])).toEqual([['crm', 'no-op']]);
    expect(plan.diagnostics).toMatchObject([
      {
        severity: 'error',
        summary: 'Role "loader" is given different passwords',
        address: 'destination.ads',
      },
    ]);
    expect(plan.diagnostics[0]!.detail).toContain('destination.crm');
    expect(JSON.stringify(plan.diagnostics)).not.toMatch(/fixture-(other-)?password/);
  });

  it('saves the step without the password, and a saved plan with it still applies', () => {
    const config = configOf(managed('crm'));
    const observations = observe({ crm: seen('crm_raw', refused('password')) });
    const prior = stateOf({ crm: managedPrior('crm') });
    const plan = buildPlan(config, observations, prior);
    const document = toPlanDocument(plan, {
      version: '0.0.0',
      createdAt: new Date(0),
      targets: [],
      destroy: false,
    });
    expect(document.changes[0]!.steps).toEqual([
      {
        kind: 'set-password',
        as: 'admin',
        role: 'loader',
        sql: 'ALTER ROLE "loader" PASSWORD (sensitive)',
      },
    ]);
    expect(JSON.stringify(document)).not.toContain('fixture-password');
    const saved = fromPlanDocument(JSON.parse(JSON.stringify(document)));
    const fresh = buildPlan(config, observations, prior);
    expect(reconcileSavedPlan(saved, fresh)).toEqual({ changes: fresh.changes, diagnostics: [] });
  });

  it('renders the statement apply runs with the value it is given, and (sensitive) otherwise', () => {
    const step = { kind: 'set-password', as: 'admin', role: 'o"brien' } as const;
    expect(renderStepSql(step)).toBe('ALTER ROLE "o""brien" PASSWORD (sensitive)');
    expect(renderStepSql(step, "SCRAM-SHA-256$4096:c2FsdA==$a'b:c")).toBe(
      `ALTER ROLE "o""brien" PASSWORD 'SCRAM-SHA-256$4096:c2FsdA==$a''b:c'`,
    );
  });
});
