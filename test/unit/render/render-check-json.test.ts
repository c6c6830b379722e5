import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { toCheckJson } from '../../../src/render/render-check-json.ts';
import { sampleReport } from '../check/check-fixtures.ts';

const schema = JSON.parse(
  readFileSync(new URL('../../../schemas/check.schema.json', import.meta.url), 'utf8'),
);
const validate = new Ajv2020.default({ allErrors: true, strict: true }).compile(schema);

describe('the JSON check', () => {
  it('conforms to schemas/check.schema.json', () => {
    const document = toCheckJson({
      ...sampleReport(),
      diagnostics: [
        {
          severity: 'warning',
          summary: 'Cannot read the state',
          detail: 'It failed.',
          hint: 'Run pgdest plan.',
        },
      ],
    });
    expect(validate(document), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it('counts the destinations and says whether all are ready', () => {
    expect(toCheckJson(sampleReport())).toMatchObject({
      format_version: 1,
      ready: false,
      summary: { checked: 5, ready: 3, failing: 2 },
    });
    expect(
      toCheckJson({ destinations: [sampleReport().destinations[0]!], diagnostics: [] }).ready,
    ).toBe(true);
  });

  it('writes every field in snake_case, null where it does not apply', () => {
    const [, , billing, , gamma] = toCheckJson(sampleReport()).destinations;
    expect(billing!.privileges[0]).toEqual({
      privilege: 'CREATE',
      status: 'failed',
      statement: 'CREATE TABLE "billing"."pgdest_check_0123456789ab" (id integer)',
      elapsed_ms: 1,
      error: {
        message: 'permission denied for schema billing',
        sqlstate: '42501',
        detail: null,
        hint: null,
      },
      reason: 'loader lacks CREATE on schema "billing", so it cannot create tables in it.',
      grant: 'GRANT CREATE ON SCHEMA "billing" TO "loader";',
      hint: 'Ask "finance", who owns schema "billing", or a superuser to run: GRANT CREATE ON SCHEMA "billing" TO "loader";',
    });
    expect(gamma).toMatchObject({ reachable: false, schema: null, server_version: null });
    expect(gamma!.hops[1]).toEqual({
      kind: 'bastion',
      name: 'inner',
      endpoint: 'tunnel@10.0.2.7:22',
      host_key: null,
      status: 'failed',
      elapsed_ms: null,
      failure: 'SSH authentication refused by bastion "inner" (tunnel@10.0.2.7:22)',
    });
  });

  it('is refused by the schema when a field goes missing', () => {
    const document = toCheckJson(sampleReport()) as unknown as {
      destinations: Record<string, unknown>[];
    };
    delete document.destinations[0]!.hops;
    expect(validate(document)).toBe(false);
  });
});
