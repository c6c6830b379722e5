import { describe, expect, it } from 'vitest';
import { renderCheckMarkdown } from '../../../src/render/render-check-markdown.ts';
import { sampleReport } from '../check/check-fixtures.ts';

describe('the markdown check', () => {
  it('summarises destinations and privileges in a table, then the failures with their GRANTs and the tables the loader does not own', () => {
    expect(renderCheckMarkdown(sampleReport())).toMatchInlineSnapshot(`
      "## pgdest check: 3 of 5 destinations ready

      | Destination | Result | Schema | CREATE | ALTER | INSERT | SELECT | DELETE | DROP |
      | --- | --- | --- | :-: | :-: | :-: | :-: | :-: | :-: |
      | \`warehouse\` | ✅ ready | \`kondado\` | ✅ | ✅ | ✅ | ✅ | ✅ | ✅ |
      | \`events\` | ✅ ready | \`public\` (fallback) | ✅ | ✅ | ✅ | ✅ | ✅ | ✅ |
      | \`billing\` | ❌ failing | \`billing\` | ❌ | ❔ | ❔ | ❔ | ❔ | ❔ |
      | \`local\` | ✅ ready | \`kondado\` | ✅ | ✅ | ✅ | ✅ | ✅ | ✅ |
      | \`gamma\` | ❌ unreachable | – | ❔ | ❔ | ❔ | ❔ | ❔ | ❔ |

      ✅ proven · ❌ failed · ❔ not proven (counts as failing) · – not declared

      ### Failures

      **\`billing\`** as \`loader\`

      - **CREATE**: permission denied for schema billing (\`42501\`). loader lacks CREATE on schema "billing", so it cannot create tables in it.
      - **ALTER, INSERT, SELECT, DELETE, DROP**: Not proven. There is no table to try it on, since creating one failed. Fix CREATE first, then check again.

      To fix it, run as \`finance\` (the schema's owner) or a superuser:

      \`\`\`sql
      GRANT CREATE ON SCHEMA "billing" TO "loader";
      \`\`\`

      **\`gamma\`** as \`loader\`

      - Unreachable: bastion \`inner\` (\`tunnel@10.0.2.7:22\`) failed: SSH authentication refused by bastion "inner" (tunnel@10.0.2.7:22).

      ### Tables the loader does not own

      - \`warehouse\`, schema \`kondado\`: \`legacy_orders\`, \`manual_fixes\` and 1 more (loader cannot ALTER or DROP them)
      "
    `);
  });

  it('leaves out the columns of privileges that no destination declares', () => {
    const report = sampleReport();
    report.destinations = [
      {
        ...report.destinations[0]!,
        privileges: report.destinations[0]!.privileges.filter(
          (p) => p.privilege === 'INSERT' || p.privilege === 'SELECT',
        ),
      },
    ];
    expect(renderCheckMarkdown(report)).toContain(
      '| Destination | Result | Schema | INSERT | SELECT |',
    );
  });

  it('escapes what markdown would read, pipes in table cells included', () => {
    const report = sampleReport();
    const billing = report.destinations[2]!;
    billing.schema!.effective = 'a|b_c';
    billing.privileges[0]!.error!.message = 'permission denied for schema a|b_c';
    const text = renderCheckMarkdown(report);
    expect(text).toContain('| `billing` | ❌ failing | `a\\|b_c` |');
    expect(text).toContain('permission denied for schema a\\|b\\_c');
  });
});
