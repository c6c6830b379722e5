import { describe, expect, it } from 'vitest';
import { parseState } from '../../../src/state/parse-state.ts';
import { serializeState } from '../../../src/state/serialize-state.ts';
import { catchDiagnosticSync, sampleState } from './sample-state.ts';

const file = '.pgdest/state.json';

/** The sample state as a plain document, to be broken by a test. */
function sampleDocument(): Record<string, any> {
  return JSON.parse(serializeState(sampleState(3)));
}

describe('parseState', () => {
  it('reads back what serializeState wrote', () => {
    expect(parseState(serializeState(sampleState(3)), file)).toStrictEqual(sampleState(3));
  });

  it('reports text that is not JSON with the file, the line and column, and the backup to restore', () => {
    const diagnostic = catchDiagnosticSync(() => parseState('{\n  "serial": 3,\n  }\n', file));

    expect(diagnostic.summary).toBe('State file is not valid JSON');
    expect(diagnostic.detail).toContain(file);
    expect(diagnostic.detail).toContain('line 3, column 3');
    expect(diagnostic.hint).toContain('.pgdest/state.json.backup');
  });

  it('reports an empty file as not JSON', () => {
    expect(catchDiagnosticSync(() => parseState('', file)).summary).toBe(
      'State file is not valid JSON',
    );
  });

  it('refuses a state from a newer pgdest and says to upgrade', () => {
    const document = { ...sampleDocument(), format_version: 2 };

    const diagnostic = catchDiagnosticSync(() => parseState(JSON.stringify(document), file));

    expect(diagnostic.summary).toBe('State file is from a newer pgdest');
    expect(diagnostic.detail).toContain(file);
    expect(diagnostic.hint).toMatch(/upgrade pgdest/i);
  });

  it.each([
    ['missing', undefined],
    ['zero', 0],
    ['a string', '1'],
  ])('refuses a format_version that is %s', (_, version) => {
    const document = { ...sampleDocument(), format_version: version };

    const diagnostic = catchDiagnosticSync(() => parseState(JSON.stringify(document), file));

    expect(diagnostic.summary).toBe('State file format is not supported');
    expect(diagnostic.detail).toContain(file);
  });

  it.each<[string, (document: Record<string, any>) => void, string]>([
    ['lineage', (d) => delete d.lineage, 'lineage should be a non-empty string'],
    ['serial', (d) => (d.serial = -1), 'serial should be an integer from 0'],
    ['destinations', (d) => (d.destinations = []), 'destinations should be an object'],
    [
      'database.port',
      (d) => (d.destinations.warehouse.database.port = '5432'),
      'destinations.warehouse.database.port should be an integer from 1 to 65535',
    ],
    [
      'database.password',
      (d) => (d.destinations.warehouse.database.password = 'hunter2'),
      'destinations.warehouse.database.password is not a known key',
    ],
    [
      'bastion',
      (d) => delete d.destinations.warehouse.bastion,
      'destinations.warehouse.bastion should be an object, or null for a direct connection',
    ],
    [
      'bastion.host_key',
      (d) => (d.destinations.warehouse.bastion.host_key = 42),
      'destinations.warehouse.bastion.host_key should be a non-empty string',
    ],
    [
      'schema.fallback',
      (d) => (d.destinations.warehouse.schema.fallback = 'no'),
      'destinations.warehouse.schema.fallback should be true or false',
    ],
    [
      'privileges',
      (d) => (d.destinations.warehouse.privileges = ['WRITE']),
      'destinations.warehouse.privileges[0] should be one of CREATE, ALTER',
    ],
    [
      'admin.user',
      (d) => (d.destinations.warehouse.admin = {}),
      'destinations.warehouse.admin.user should be a non-empty string',
    ],
    [
      'on_delete',
      (d) => (d.destinations.marts.on_delete = 'keep'),
      'destinations.marts.on_delete should be one of forget, drop',
    ],
    [
      'server_version',
      (d) => (d.destinations.marts.server_version = 16),
      'destinations.marts.server_version should be a non-empty string',
    ],
    [
      'applied_at',
      (d) => (d.destinations.marts.applied_at = 'yesterday'),
      'destinations.marts.applied_at should be an ISO 8601 date and time',
    ],
    ['an unknown top-level key', (d) => (d.outputs = {}), 'outputs is not a known key'],
  ])('names the field when %s is wrong', (_, breakDocument, problem) => {
    const document = sampleDocument();
    breakDocument(document);

    const diagnostic = catchDiagnosticSync(() => parseState(JSON.stringify(document), file));

    expect(diagnostic.summary).toBe('State file has an unexpected shape');
    expect(diagnostic.detail).toContain(file);
    expect(diagnostic.detail).toContain(problem);
    expect(diagnostic.hint).toContain('.pgdest/state.json.backup');
  });

  it('lists every problem it found in one diagnostic', () => {
    const document = sampleDocument();
    document.serial = 'three';
    document.destinations.marts.database.user = '';

    const diagnostic = catchDiagnosticSync(() => parseState(JSON.stringify(document), file));

    expect(diagnostic.detail).toContain('serial should be');
    expect(diagnostic.detail).toContain('destinations.marts.database.user should be');
  });
});
