import { describe, expect, it } from 'vitest';
import type { Observation } from '../../../src/plan/actual.ts';
import { buildPlan } from '../../../src/plan/build-plan.ts';
import { reconcileSavedPlan } from '../../../src/plan/reconcile-saved-plan.ts';
import { actualOf, configOf, destinationOf, priorEntry, stateOf } from './plan-fixtures.ts';

const missing = { schema: { exists: false, usage: false, create: false } };
const observe = (entries: Record<string, ReturnType<typeof actualOf>>) =>
  new Map<string, Observation>(
    Object.entries(entries).map(([name, actual]) => [name, { kind: 'observed', actual }]),
  );

describe('reconciling a saved plan with a fresh one', () => {
  const config = configOf(
    destinationOf('warehouse'),
    destinationOf('events', { schema: 'events' }),
  );
  const prior = stateOf({
    warehouse: priorEntry(),
    events: priorEntry({ schema: { requested: 'events', effective: 'events', fallback: false } }),
  });
  const saved = buildPlan(
    config,
    observe({ warehouse: actualOf('kondado', missing), events: actualOf('events') }),
    prior,
  );

  it('applies the saved changes when the databases still need them', () => {
    const fresh = buildPlan(
      config,
      observe({ warehouse: actualOf('kondado', missing), events: actualOf('events') }),
      prior,
    );
    const result = reconcileSavedPlan(saved, fresh);
    expect(result.diagnostics).toEqual([]);
    expect(result.changes.map((c) => [c.name, c.action, c.steps.map((s) => s.sql)])).toEqual([
      ['warehouse', 'update', ['CREATE SCHEMA "kondado"']],
    ]);
  });

  it('refuses when a saved change has nothing left to do', () => {
    const fresh = buildPlan(
      config,
      observe({ warehouse: actualOf('kondado'), events: actualOf('events') }),
      prior,
    );
    const result = reconcileSavedPlan(saved, fresh);
    expect(result.changes).toEqual([]);
    expect(result.diagnostics[0]!.detail).toContain(
      'destination.warehouse: the saved plan will update it, but there is nothing left to do.',
    );
  });

  it('refuses when the outcome changed, such as a fallback that became needed', () => {
    const fresh = buildPlan(
      config,
      observe({
        warehouse: actualOf('kondado', {
          ...missing,
          database: { create: false },
          public: { create: true },
        }),
        events: actualOf('events'),
      }),
      prior,
    );
    expect(reconcileSavedPlan(saved, fresh).diagnostics[0]).toMatchObject({
      summary: 'Saved plan no longer fits the databases',
      code: 'stale-plan',
    });
  });

  it('applies only what it shows and warns of new drift elsewhere', () => {
    const fresh = buildPlan(
      config,
      observe({ warehouse: actualOf('kondado', missing), events: actualOf('events', missing) }),
      prior,
    );
    const result = reconcileSavedPlan(saved, fresh);
    expect(result.changes.map((c) => c.name)).toEqual(['warehouse']);
    expect(result.diagnostics).toMatchObject([
      {
        severity: 'warning',
        summary: 'destination.events has changes the saved plan does not hold',
      },
    ]);
  });
});
