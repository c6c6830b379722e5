import { describe, expect, it } from 'vitest';
import { groupWork } from '../../../src/apply/group-work.ts';
import { LoaderStepHandover } from '../../../src/apply/loader-step-handover.ts';
import type { Destination } from '../../../src/config/model.ts';
import { Secret } from '../../../src/config/secret.ts';
import type { Observation } from '../../../src/plan/actual.ts';
import { buildPlan } from '../../../src/plan/build-plan.ts';
import { actualOf, configOf, destinationOf } from '../plan/plan-fixtures.ts';

const adminAs = (env: string) => ({ user: 'postgres', password: new Secret(env, 'fixture-admin') });
const managed = (name: string, overrides: Partial<Destination> = {}) =>
  destinationOf(name, {
    schema: `${name}_raw`,
    admin: adminAs('env:ADMIN_PASSWORD'),
    ...overrides,
  });
const newLoader = (schema: string): Observation => ({
  kind: 'observed',
  actual: actualOf(schema, {
    inspectedAs: 'postgres',
    loader: { exists: false, canLogin: false },
    database: { connect: false, create: false },
    schema: { exists: false, usage: false, create: false },
  }),
});

function planOf(...destinations: Destination[]) {
  const config = configOf(...destinations);
  const observations = new Map(destinations.map((d) => [d.name, newLoader(d.schema)]));
  return { config, plan: buildPlan(config, observations, undefined) };
}

describe('grouping the work of apply', () => {
  it('applies destinations that share a session together', () => {
    const { config, plan } = planOf(managed('crm'), managed('ads'), managed('billing'));
    expect(
      groupWork(plan.changes, config).map((u) => [u.changes.map((c) => c.name), u.together]),
    ).toEqual([[['ads', 'billing', 'crm'], true]]);
  });

  it('runs a shared loader’s destinations in other sessions one by one, the one creating it first', () => {
    const { config, plan } = planOf(
      managed('crm', { admin: adminAs('env:CRM_ADMIN') }),
      managed('ads', { admin: adminAs('env:ADS_ADMIN') }),
      managed('other', { database: { ...managed('other').database, user: 'other_loader' } }),
    );
    expect(
      groupWork(plan.changes, config).map((u) => [u.changes.map((c) => c.name), u.together]),
    ).toEqual([
      [['ads', 'crm'], false],
      [['other'], true],
    ]);
  });

  it('keeps sessions apart when their loaders need nothing set up', () => {
    const ready: Observation = { kind: 'observed', actual: actualOf('kondado') };
    const destinations = [
      managed('crm', { admin: adminAs('env:CRM_ADMIN') }),
      managed('ads', { admin: adminAs('env:ADS_ADMIN') }),
    ];
    const config = configOf(...destinations);
    const plan = buildPlan(config, new Map(destinations.map((d) => [d.name, ready])), undefined);
    expect(groupWork(plan.changes, config)).toHaveLength(2);
  });
});

describe('handing over the loader steps of a failed change', () => {
  const { config, plan } = planOf(
    managed('ads'),
    managed('billing'),
    managed('crm', { database: { ...managed('crm').database, name: 'marketing' } }),
  );
  const [ads, billing, crm] = plan.changes;

  it('gives the next change with the loader the role and the grants on its database', () => {
    const handover = new LoaderStepHandover(config);
    handover.leave(ads!);
    expect(handover.stepsFor(billing!).map((s) => s.sql)).toEqual([
      'CREATE ROLE "loader" LOGIN PASSWORD (sensitive)',
      'GRANT CONNECT ON DATABASE "analytics" TO "loader"',
      'GRANT CREATE ON DATABASE "analytics" TO "loader"',
    ]);
    expect(handover.stepsFor(crm!).map((s) => s.sql)).toEqual([
      'CREATE ROLE "loader" LOGIN PASSWORD (sensitive)',
    ]);
  });

  it('hands a step that sets the password only to a change that configures one', () => {
    const refused: Observation = {
      kind: 'observed',
      actual: actualOf('kondado', {
        inspectedAs: 'postgres',
        loader: { login: { kind: 'refused', reason: 'password', diagnostics: [] } },
      }),
    };
    const trusted = { ...managed('crm').database, password: undefined };
    const destinations = [
      managed('ads'),
      managed('billing'),
      managed('crm', { database: trusted }),
    ];
    const config = configOf(...destinations);
    const plan = buildPlan(config, new Map(destinations.map((d) => [d.name, refused])), undefined);
    const [first, second, third] = plan.changes;
    expect(first!.steps.map((s) => s.sql)).toEqual(['ALTER ROLE "loader" PASSWORD (sensitive)']);

    const handover = new LoaderStepHandover(config);
    handover.leave(first!);
    expect(handover.stepsFor(third!)).toEqual([]);
    expect(handover.stepsFor(second!).map((s) => s.sql)).toEqual([
      'ALTER ROLE "loader" PASSWORD (sensitive)',
    ]);
  });

  it('hands nothing over once a change ran the steps', () => {
    const handover = new LoaderStepHandover(config);
    handover.leave(ads!);
    handover.settle(handover.stepsFor(billing!));
    expect(handover.stepsFor(crm!)).toEqual([]);
  });
});
