import { describe, expect, it } from 'vitest';
import { parseConfigSource } from '../../../src/config/config-source.ts';
import { loadText, sharedDatabaseConfig, validConfig } from './load-fixture.ts';

/** The valid fixture with `line` (1-based) replaced by `replacement`. */
function replaceLine(line: number, ...replacement: string[]): string {
  const lines = validConfig.trimEnd().split('\n');
  lines.splice(line - 1, 1, ...replacement);
  return `${lines.join('\n')}\n`;
}

describe('a duplicate key', () => {
  const duplicated = replaceLine(16, '    schema: kondado', '    schema: other');

  it('is one problem among the others of the file', () => {
    const text = duplicated.replace('    host_key:', '    hostkey_check: strict\n    host_key:');
    const { diagnostics, config } = loadText(text);
    expect(config).toBeUndefined();
    expect(diagnostics.map((d) => [d.summary, d.source?.path])).toEqual([
      ['Unknown key "hostkey_check"', 'bastions.main.hostkey_check'],
      ['Duplicate key', 'destinations.warehouse.schema'],
    ]);
  });

  it('points at the second occurrence and names the line of the first', () => {
    const [duplicate] = loadText(duplicated).diagnostics;
    expect(duplicate).toMatchObject({
      severity: 'error',
      summary: 'Duplicate key',
      source: { line: 17, column: 5, snippet: '    schema: other' },
    });
    expect(duplicate!.detail).toContain('first at line 16, column 5');
  });

  it('leaves the rules to check the value read, the second one', () => {
    const text = replaceLine(16, '    schema: kondado', '    schema: ""');
    const summaries = loadText(text).diagnostics.map((d) => [d.summary, d.source?.line]);
    expect(summaries).toEqual([
      ['Duplicate key', 17],
      ['Empty schema', 17],
    ]);
  });

  it('keeps the rules across sections running', () => {
    const text = duplicated.replace('    bastion: main', '    bastion: mian');
    const summaries = loadText(text).diagnostics.map((d) => d.summary);
    expect(summaries).toEqual(['Unknown bastion "mian"', 'Duplicate key']);
  });

  it('is found in a mapping inside a list too', () => {
    const text = `${validConfig}    privileges: [{a: 1, a: 2}]\n`;
    const { diagnostics } = parseConfigSource('/configs/pgdest.yaml', text);
    expect(diagnostics.map((d) => d.source?.path)).toEqual([
      'destinations.warehouse.privileges[0].a',
    ]);
  });
});

describe('an unclosed quote', () => {
  it('is shown on the line where it opens, not past the end of the file', () => {
    const text = replaceLine(13, '      name: "analytics');
    const { diagnostics } = loadText(text);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({
      summary: 'Invalid YAML',
      detail: expect.stringContaining('never closed'),
      source: {
        line: 13,
        column: 13,
        endLine: 13,
        path: 'destinations.warehouse.database.name',
        snippet: '      name: "analytics',
      },
    });
  });

  it('hides what follows the quote when the value is a secret', () => {
    const text = replaceLine(15, "      password: 'hunter2-canary");
    const [diagnostic] = loadText(text).diagnostics;
    expect(diagnostic!.source).toMatchObject({
      line: 15,
      path: 'destinations.warehouse.database.password',
      snippet: "      password: '**************",
    });
    expect(JSON.stringify(diagnostic)).not.toContain('hunter2');
  });

  it('is reported once, without the errors that follow from it at the end of the file', () => {
    const text = `${validConfig}    privileges: [INSERT, "SELECT]\n`;
    const { diagnostics } = parseConfigSource('/configs/pgdest.yaml', text);
    expect(diagnostics.map((d) => [d.summary, d.source?.line, d.source?.column])).toEqual([
      ['Invalid YAML', 17, 26],
    ]);
  });
});

describe('a value shared through an anchor', () => {
  it('is pointed at where the anchor writes it, for each destination that merges it', () => {
    const text = sharedDatabaseConfig.replace('ssl: require', 'ssl: required');
    const problems = loadText(text).diagnostics.map((d) => [
      d.summary,
      d.source?.path,
      d.source?.line,
      d.source?.column,
    ]);
    expect(problems).toEqual([
      ['Invalid ssl "required"', 'destinations.warehouse.database.ssl', 15, 12],
      ['Invalid ssl "required"', 'destinations.marts.database.ssl', 15, 12],
    ]);
  });

  it('leaves a key written beside the merge key at its own place', () => {
    const text = sharedDatabaseConfig.replace(
      '      name: marts\n',
      '      name: marts\n      prot: 1\n',
    );
    const [problem] = loadText(text).diagnostics;
    expect(problem).toMatchObject({
      summary: 'Unknown key "prot"',
      source: { line: 21, column: 7, path: 'destinations.marts.database.prot' },
    });
  });

  it('is pointed at through a plain alias too', () => {
    const text = sharedDatabaseConfig
      .replace('ssl: require', 'ssl: required')
      .replace('      <<: *analytics\n      name: marts\n', '')
      .replace('  marts:\n    database:\n', '  marts:\n    database: *analytics\n');
    const problems = loadText(text).diagnostics.map((d) => [d.source?.path, d.source?.line]);
    expect(problems).toEqual([
      ['destinations.warehouse.database.ssl', 15],
      ['destinations.marts.database.ssl', 15],
    ]);
  });
});

describe('a YAML syntax error', () => {
  it('names the path of the entry it is in', () => {
    const text = replaceLine(13, '      name: analytics: x');
    const { diagnostics } = loadText(text);
    expect(diagnostics.map((d) => [d.summary, d.source?.line, d.source?.path])).toEqual([
      ['Invalid YAML', 13, 'destinations.warehouse.database.name'],
    ]);
  });

  it('never quotes the text it stumbled on, which may be part of a secret', () => {
    const text = `${validConfig}  }\n  password: x\n`;
    const { diagnostics } = loadText(text);
    expect(diagnostics.map((d) => d.detail)).toEqual([
      'Unexpected flow-map-end token in YAML stream.',
    ]);
  });

  it('is shown where a flow mapping left open starts, once', () => {
    const text = validConfig.replace(
      /    database:\n(.*\n){4}/,
      '    database: {host: 10.0.1.5, name: analytics,\n      user: loader, password: "${env:P}"\n',
    );
    const { diagnostics } = loadText(text);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({
      detail: expect.stringContaining('never closed'),
      source: { line: 11, column: 15, path: 'destinations.warehouse.database' },
    });
  });
});

describe('a complex key', () => {
  it('is pointed at, with its path as the plain data spells it', () => {
    const text = `${validConfig}    ? [a, b]\n    : 1\n`;
    const [problem] = loadText(text).diagnostics;
    expect(problem).toMatchObject({
      summary: 'Unknown key "a,b"',
      source: { line: 17, column: 7, path: 'destinations.warehouse.a,b' },
    });
  });
});
