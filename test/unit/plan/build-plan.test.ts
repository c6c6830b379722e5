import { describe, expect, it } from 'vitest';
import { Secret } from '../../../src/config/secret.ts';
import type { Observation } from '../../../src/plan/actual.ts';
import { buildPlan } from '../../../src/plan/build-plan.ts';
import type { Plan } from '../../../src/plan/plan.ts';
import { actualOf, configOf, destinationOf, priorEntry, stateOf } from './plan-fixtures.ts';

const observed = (actual = actualOf()): Observation => ({ kind: 'observed', actual });
const sql = (plan: Plan) => plan.changes.flatMap((change) => change.steps.map((step) => step.sql));
const summaries = (plan: Plan) => plan.diagnostics.map((d) => [d.severity, d.summary, d.address]);

describe('planning a destination not yet in state', () => {
  it('creates the schema as the loader when it may', () => {
    const plan = buildPlan(
      configOf(destinationOf()),
      new Map([
        [
          'warehouse',
          observed(actualOf('kondado', { schema: { exists: false, usage: false, create: false } })),
        ],
      ]),
      undefined,
    );
    expect(plan.changes).toMatchObject([
      {
        address: 'destination.warehouse',
        action: 'create',
        before: null,
        reasons: ['schema "kondado" does not exist'],
      },
    ]);
    expect(sql(plan)).toEqual(['CREATE SCHEMA "kondado"']);
    expect(plan.changes[0]!.after).toEqual({
      bastion: 'tunnel@bastion.example.com:22',
      database: '10.0.1.5:5432/analytics',
      user: 'loader',
      schema: 'kondado',
      effective_schema: 'kondado',
      fallback: false,
      privileges: ['CREATE', 'ALTER', 'INSERT', 'SELECT', 'DELETE', 'DROP'],
      admin: null,
      on_delete: 'forget',
    });
  });

  it('starts tracking a schema that already exists, with no SQL', () => {
    const plan = buildPlan(
      configOf(destinationOf()),
      new Map([['warehouse', observed()]]),
      undefined,
    );
    expect(plan.changes).toMatchObject([
      {
        action: 'create',
        steps: [],
        reasons: ['schema "kondado" is ready; pgdest starts tracking it'],
      },
    ]);
  });

  it('never creates a schema that exists, even when the loader lacks CREATE on the database', () => {
    const plan = buildPlan(
      configOf(destinationOf()),
      new Map([['warehouse', observed(actualOf('kondado', { database: { create: false } }))]]),
      undefined,
    );
    expect(sql(plan)).toEqual([]);
    expect(plan.diagnostics).toEqual([]);
  });

  it('falls back to public when the loader may not create the schema', () => {
    const actual = actualOf('kondado', {
      schema: { exists: false, usage: false, create: false },
      database: { create: false },
      public: { create: true },
    });
    const plan = buildPlan(
      configOf(destinationOf()),
      new Map([['warehouse', observed(actual)]]),
      undefined,
    );
    expect(plan.changes[0]!.after).toMatchObject({
      schema: 'kondado',
      effective_schema: 'public',
      fallback: true,
    });
    expect(sql(plan)).toEqual([]);
    expect(summaries(plan)).toEqual([
      ['warning', 'Falling back to schema public', 'destination.warehouse'],
    ]);
  });

  it('refuses the fallback when public is not writable either', () => {
    const actual = actualOf('kondado', {
      schema: { exists: false, usage: false, create: false },
      database: { create: false },
    });
    const plan = buildPlan(
      configOf(destinationOf()),
      new Map([['warehouse', observed(actual)]]),
      undefined,
    );
    expect(plan.changes).toEqual([]);
    expect(summaries(plan)).toEqual([
      ['error', 'Cannot fall back to public', 'destination.warehouse'],
    ]);
    expect(plan.diagnostics[0]!.hint).toContain(
      'GRANT USAGE, CREATE ON SCHEMA public TO "loader";',
    );
  });

  it('refuses the fallback when schema_fallback is none', () => {
    const actual = actualOf('kondado', {
      schema: { exists: false, usage: false, create: false },
      database: { create: false },
      public: { create: true },
    });
    const plan = buildPlan(
      configOf(destinationOf('warehouse', { schemaFallback: 'none' })),
      new Map([['warehouse', observed(actual)]]),
      undefined,
    );
    expect(summaries(plan)).toEqual([
      ['error', 'Schema "kondado" cannot be created', 'destination.warehouse'],
    ]);
  });

  it('is an error, with the GRANT as its hint, when the loader lacks USAGE and no admin may grant it', () => {
    const actual = actualOf('kondado', { schema: { owner: 'etl_admin', usage: false } });
    const plan = buildPlan(
      configOf(destinationOf()),
      new Map([['warehouse', observed(actual)]]),
      undefined,
    );
    expect(plan.changes).toEqual([]);
    expect(plan.diagnostics).toMatchObject([
      {
        severity: 'error',
        summary: 'loader lacks USAGE on schema "kondado"',
        hint: expect.stringContaining('GRANT USAGE ON SCHEMA "kondado" TO "loader";'),
      },
    ]);
  });

  it('does not need CREATE on the schema when the loader is not to create tables', () => {
    const actual = actualOf('kondado', { schema: { owner: 'etl_admin', create: false } });
    const plan = buildPlan(
      configOf(destinationOf('warehouse', { privileges: ['INSERT', 'SELECT'] })),
      new Map([['warehouse', observed(actual)]]),
      undefined,
    );
    expect(plan.diagnostics).toEqual([]);
    expect(plan.changes).toMatchObject([{ action: 'create' }]);
  });

  it('warns of tables the loader cannot ALTER or DROP', () => {
    const actual = actualOf('kondado', {
      schema: { foreignTables: ['orders'], foreignTableCount: 1 },
    });
    const plan = buildPlan(
      configOf(destinationOf()),
      new Map([['warehouse', observed(actual)]]),
      undefined,
    );
    expect(summaries(plan)).toEqual([
      ['warning', '1 table in schema "kondado" belongs to another role', 'destination.warehouse'],
    ]);
  });
});

describe('planning with an admin login', () => {
  const admin = { user: 'postgres', password: new Secret('env:ADMIN_PASSWORD', 'fixture-admin') };

  it('creates the role, grants on the database and creates the schema owned by the loader', () => {
    const actual = actualOf('kondado', {
      inspectedAs: 'postgres',
      loader: { exists: false, canLogin: false },
      database: { connect: false, create: false },
      schema: { exists: false, usage: false, create: false },
    });
    const plan = buildPlan(
      configOf(destinationOf('warehouse', { admin })),
      new Map([['warehouse', observed(actual)]]),
      undefined,
    );
    expect(sql(plan)).toEqual([
      'CREATE ROLE "loader" LOGIN PASSWORD (sensitive)',
      'GRANT CONNECT ON DATABASE "analytics" TO "loader"',
      'GRANT CREATE ON DATABASE "analytics" TO "loader"',
      'CREATE SCHEMA "kondado" AUTHORIZATION "loader"',
    ]);
    expect(plan.changes[0]!.steps.every((step) => step.as === 'admin')).toBe(true);
    expect(JSON.stringify(plan)).not.toContain('fixture-password');
  });

  it('shows a revoked grant as an update that grants it again', () => {
    const actual = actualOf('kondado', {
      inspectedAs: 'postgres',
      schema: { owner: 'postgres', usage: false },
    });
    const destination = destinationOf('warehouse', { admin });
    const prior = stateOf({
      warehouse: priorEntry({ admin: { user: 'postgres', passwordFrom: 'env:ADMIN_PASSWORD' } }),
    });
    const plan = buildPlan(
      configOf(destination),
      new Map([['warehouse', observed(actual)]]),
      prior,
    );
    expect(plan.changes).toMatchObject([
      { action: 'update', reasons: ['loader lacks USAGE on schema "kondado"'] },
    ]);
    expect(sql(plan)).toEqual(['GRANT USAGE ON SCHEMA "kondado" TO "loader"']);
  });
});

describe('planning against the prior state', () => {
  it('has nothing to do when the actual state matches', () => {
    const plan = buildPlan(
      configOf(destinationOf()),
      new Map([['warehouse', observed()]]),
      stateOf({ warehouse: priorEntry() }),
    );
    expect(plan.changes).toMatchObject([{ action: 'no-op', steps: [], reasons: [] }]);
    expect(plan.prior).toEqual({ lineage: '3f1d2c4b-8a7e-4f60-9b1a-2d5c6e7f8a90', serial: 4 });
  });

  it('repairs a schema dropped behind its back', () => {
    const actual = actualOf('kondado', { schema: { exists: false, usage: false, create: false } });
    const plan = buildPlan(
      configOf(destinationOf()),
      new Map([['warehouse', observed(actual)]]),
      stateOf({ warehouse: priorEntry() }),
    );
    expect(plan.changes).toMatchObject([
      { action: 'update', reasons: ['schema "kondado" no longer exists'] },
    ]);
    expect(sql(plan)).toEqual(['CREATE SCHEMA "kondado"']);
  });

  it('updates state alone when only the declared privileges changed', () => {
    const plan = buildPlan(
      configOf(destinationOf('warehouse', { privileges: ['INSERT', 'SELECT'] })),
      new Map([['warehouse', observed()]]),
      stateOf({ warehouse: priorEntry() }),
    );
    expect(plan.changes).toMatchObject([
      {
        action: 'update',
        steps: [],
        reasons: [
          'privileges changes from [CREATE, ALTER, INSERT, SELECT, DELETE, DROP] to [INSERT, SELECT]',
        ],
      },
    ]);
  });

  it('keeps a destination on public while its schema still cannot be created', () => {
    const actual = actualOf('kondado', {
      schema: { exists: false, usage: false, create: false },
      database: { create: false },
      public: { create: true },
    });
    const prior = stateOf({
      warehouse: priorEntry({
        schema: { requested: 'kondado', effective: 'public', fallback: true },
      }),
    });
    const plan = buildPlan(
      configOf(destinationOf()),
      new Map([['warehouse', observed(actual)]]),
      prior,
    );
    expect(plan.changes).toMatchObject([{ action: 'no-op' }]);
    expect(plan.diagnostics).toEqual([]); // it was warned of when it was applied
  });

  it('forgets a destination removed from the config, keeping its schema', () => {
    const plan = buildPlan(configOf(), new Map(), stateOf({ old: priorEntry() }));
    expect(plan.changes).toMatchObject([
      { address: 'destination.old', action: 'delete', steps: [], destructive: false, after: null },
    ]);
  });

  it('drops the schema of a removed destination with on_delete: drop, as a destructive change', () => {
    const plan = buildPlan(
      configOf(),
      new Map(),
      stateOf({ old: priorEntry({ onDelete: 'drop' }) }),
    );
    expect(plan.changes).toMatchObject([{ action: 'delete', destructive: true }]);
    expect(sql(plan)).toEqual(['DROP SCHEMA IF EXISTS "kondado" CASCADE']);
  });

  it('never drops public, even with on_delete: drop after the fallback', () => {
    const prior = stateOf({
      old: priorEntry({
        onDelete: 'drop',
        schema: { requested: 'kondado', effective: 'public', fallback: true },
      }),
    });
    const plan = buildPlan(configOf(), new Map(), prior);
    expect(sql(plan)).toEqual([]);
    expect(summaries(plan)).toEqual([['warning', 'Schema public is kept', 'destination.old']]);
  });

  it('plans the deletion of every destination for destroy', () => {
    const plan = buildPlan(
      configOf(destinationOf()),
      new Map(),
      stateOf({ warehouse: priorEntry(), old: priorEntry() }),
      { destroy: true },
    );
    expect(plan.changes.map((c) => [c.name, c.action])).toEqual([
      ['old', 'delete'],
      ['warehouse', 'delete'],
    ]);
  });

  it('plans only the targeted destinations', () => {
    const config = configOf(destinationOf('a'), destinationOf('b'));
    const plan = buildPlan(config, new Map([['b', observed()]]), stateOf({ c: priorEntry() }), {
      targets: ['b'],
    });
    expect(plan.changes.map((c) => c.name)).toEqual(['b']);
  });

  it('reports an unreachable destination by its address and plans the others', () => {
    const unreachable: Observation = {
      kind: 'unreachable',
      diagnostics: [{ severity: 'error', summary: 'Bastion unreachable' }],
    };
    const plan = buildPlan(
      configOf(destinationOf('a'), destinationOf('b')),
      new Map([
        ['a', unreachable],
        ['b', observed()],
      ]),
      undefined,
    );
    expect(plan.changes.map((c) => c.name)).toEqual(['b']);
    expect(summaries(plan)).toEqual([['error', 'Bastion unreachable', 'destination.a']]);
  });
});
