import { describe, expect, it } from 'vitest';
import type { Observation } from '../../../src/plan/actual.ts';
import { buildPlan } from '../../../src/plan/build-plan.ts';
import { createPalette } from '../../../src/render/palette.ts';
import { renderPlan } from '../../../src/render/render-plan.ts';
import { actualOf, configOf, destinationOf, priorEntry, stateOf } from '../plan/plan-fixtures.ts';

const missing = { schema: { exists: false, usage: false, create: false } };

describe('the human plan', () => {
  it('shows a block per change with its marks, attributes, reasons and SQL, then the counts', () => {
    const config = configOf(
      destinationOf('warehouse'),
      destinationOf('events', { schema: 'events_raw' }),
    );
    const observations = new Map<string, Observation>([
      ['warehouse', { kind: 'observed', actual: actualOf('kondado', missing) }],
      [
        'events',
        {
          kind: 'observed',
          actual: actualOf('events_raw', {
            ...missing,
            database: { create: false },
            public: { create: true },
          }),
        },
      ],
    ]);
    const prior = stateOf({
      warehouse: priorEntry(),
      old: priorEntry({
        onDelete: 'drop',
        schema: { requested: 'old', effective: 'old', fallback: false },
      }),
    });
    expect(renderPlan(buildPlan(config, observations, prior))).toMatchInlineSnapshot(`
      "pgdest will perform the following actions:

        # destination.events will be created
        # (schema "events_raw" cannot be created; the loader writes into public)
        # warning: Falling back to schema public
        + destination "events" {
            + bastion          = "tunnel@bastion.example.com:22"
            + database         = "10.0.1.5:5432/analytics"
            + user             = "loader"
            + schema           = "events_raw"
            + effective_schema = "public"
            + fallback         = true
            + privileges       = ["CREATE", "ALTER", "INSERT", "SELECT", "DELETE", "DROP"]
            + admin            = null
            + on_delete        = "forget"
          }

        # destination.old will be deleted
        # (on_delete: drop drops schema "old" and every table in it)
        - destination "old" {
            - bastion          = "tunnel@bastion.example.com:22"
            - database         = "10.0.1.5:5432/analytics"
            - user             = "loader"
            - schema           = "old"
            - effective_schema = "old"
            - fallback         = false
            - privileges       = ["CREATE", "ALTER", "INSERT", "SELECT", "DELETE", "DROP"]
            - admin            = null
            - on_delete        = "drop"
          }
          SQL:
            DROP SCHEMA IF EXISTS "old" CASCADE;

        # destination.warehouse will be updated in place
        # (schema "kondado" no longer exists)
        ~ destination "warehouse" {
              bastion          = "tunnel@bastion.example.com:22"
              database         = "10.0.1.5:5432/analytics"
              user             = "loader"
              schema           = "kondado"
              effective_schema = "kondado"
              fallback         = false
              privileges       = ["CREATE", "ALTER", "INSERT", "SELECT", "DELETE", "DROP"]
              admin            = null
              on_delete        = "forget"
          }
          SQL:
            CREATE SCHEMA "kondado";

      1 destructive change: DROP SCHEMA ... CASCADE deletes every table in the schema.

      Plan: 1 to create, 1 to update, 1 to delete.
      "
    `);
  });

  it('marks a changed value and the items of a changed list', () => {
    const config = configOf(
      destinationOf('warehouse', { schema: 'kondado2', privileges: ['INSERT', 'SELECT'] }),
    );
    const observations = new Map<string, Observation>([
      ['warehouse', { kind: 'observed', actual: actualOf('kondado2') }],
    ]);
    const text = renderPlan(buildPlan(config, observations, stateOf({ warehouse: priorEntry() })));
    expect(text).toContain('~ schema           = "kondado" -> "kondado2"');
    expect(text).toContain(
      '~ privileges       = [-"CREATE", -"ALTER", "INSERT", "SELECT", -"DELETE", -"DROP"]',
    );
  });

  it('says so when nothing changes', () => {
    const observations = new Map<string, Observation>([
      ['warehouse', { kind: 'observed', actual: actualOf() }],
    ]);
    expect(
      renderPlan(
        buildPlan(configOf(destinationOf()), observations, stateOf({ warehouse: priorEntry() })),
      ),
    ).toBe('No changes. The destinations match the configuration.\n');
  });

  it('colours the marks only when asked', () => {
    const observations = new Map<string, Observation>([
      ['warehouse', { kind: 'observed', actual: actualOf('kondado', missing) }],
    ]);
    const plan = buildPlan(configOf(destinationOf()), observations, undefined);
    expect(renderPlan(plan, createPalette(true))).toContain(
      '\u001b[32m+\u001b[39m destination "warehouse"',
    );
    expect(renderPlan(plan)).not.toContain('\u001b[');
  });
});

describe('the human plan of destinations that could not be planned', () => {
  it('does not claim that they match the configuration', () => {
    const unreachable: Observation = {
      kind: 'unreachable',
      diagnostics: [{ severity: 'error', summary: 'Host key of bastion "main" has changed' }],
    };
    const plan = buildPlan(
      configOf(destinationOf('a'), destinationOf('b')),
      new Map([
        ['a', unreachable],
        ['b', unreachable],
      ]),
      undefined,
    );
    expect(renderPlan(plan)).toBe(
      'Nothing could be planned.\n2 destinations could not be planned: destination.a, destination.b.\n',
    );
  });
});
