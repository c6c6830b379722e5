import { describe, expect, it } from 'vitest';
import type { Observation } from '../../../src/plan/actual.ts';
import { buildPlan } from '../../../src/plan/build-plan.ts';
import { renderPlanMarkdown } from '../../../src/render/render-plan-markdown.ts';
import { actualOf, configOf, destinationOf, priorEntry, stateOf } from '../plan/plan-fixtures.ts';

const missing = { schema: { exists: false, usage: false, create: false } };

describe('the Markdown plan', () => {
  it('summarises the counts, the destinations, the warnings and the SQL for a pull request', () => {
    const config = configOf(
      destinationOf('warehouse'),
      destinationOf('events', { schema: 'events_raw' }),
      destinationOf('steady'),
      destinationOf('billing', { schema: 'billing' }),
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
      ['steady', { kind: 'observed', actual: actualOf() }],
      [
        'billing',
        {
          kind: 'unreachable',
          diagnostics: [
            {
              severity: 'error',
              code: 'unreachable',
              summary: 'Bastion unreachable',
              detail: 'tunnel@bastion.example.com:22 refused the connection.',
              hint: 'Check that sshd runs.',
            },
          ],
        },
      ],
    ]);
    const prior = stateOf({
      warehouse: priorEntry(),
      steady: priorEntry(),
      old: priorEntry({
        onDelete: 'drop',
        schema: { requested: 'old', effective: 'old', fallback: false },
      }),
    });
    expect(renderPlanMarkdown(buildPlan(config, observations, prior))).toMatchInlineSnapshot(`
      "### pgdest plan: 1 to create, 1 to update, 1 to delete

      | Destination | Action | Schema | Why |
      | --- | --- | --- | --- |
      | \`billing\` | **error** |  | unreachable: Bastion unreachable |
      | \`events\` | + create | \`public\` (fallback for \`events_raw\`) | schema "events_raw" cannot be created; the loader writes into public |
      | \`old\` | - delete (destructive) | \`old\` | on_delete: drop drops schema "old" and every table in it |
      | \`warehouse\` | ~ update | \`kondado\` | schema "kondado" no longer exists |

      1 destination unchanged.

      **Errors**

      - \`destination.billing\`: **Bastion unreachable**. tunnel@bastion.example.com:22 refused the connection. _Check that sshd runs._

      **Warnings**

      - \`destination.events\`: **Falling back to schema public**. Schema "events_raw" does not exist, and loader may not create it: it lacks CREATE on database "analytics". As documented, the destination will write into public instead. _To use "events_raw", ask an administrator to run CREATE SCHEMA "events_raw" AUTHORIZATION "loader"; or GRANT CREATE ON DATABASE "analytics" TO "loader"; or set schema_fallback: none to make this an error._

      <details><summary>SQL (2 statements)</summary>

      \`\`\`sql
      -- destination.old
      DROP SCHEMA IF EXISTS "old" CASCADE;
      -- destination.warehouse
      CREATE SCHEMA "kondado";
      \`\`\`

      </details>
      "
    `);
  });

  it('says there are no changes', () => {
    const observations = new Map<string, Observation>([
      ['warehouse', { kind: 'observed', actual: actualOf() }],
    ]);
    expect(
      renderPlanMarkdown(
        buildPlan(configOf(destinationOf()), observations, stateOf({ warehouse: priorEntry() })),
      ),
    ).toBe('### pgdest plan: no changes\n\n1 destination unchanged.\n');
  });
});
