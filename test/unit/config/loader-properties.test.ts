import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LoadResult } from '../../../src/config/load-config.ts';
import { loadText, validConfig } from './load-fixture.ts';

function expectLocatedDiagnostics(result: LoadResult): void {
  for (const diagnostic of result.diagnostics) {
    expect(diagnostic.source, diagnostic.summary).toBeDefined();
    expect(diagnostic.source!.line).toBeGreaterThanOrEqual(1);
    expect(diagnostic.source!.column).toBeGreaterThanOrEqual(1);
    expect(diagnostic.summary).not.toMatch(/\.$/);
  }
  if (!result.config) expect(result.diagnostics.some((d) => d.severity === 'error')).toBe(true);
}

/** Near-valid YAML: the valid config with lines dropped, duplicated, re-indented or altered. */
const nearValidConfig = fc
  .array(
    fc.record({
      line: fc.nat({ max: 16 }),
      edit: fc.constantFrom('drop', 'duplicate', 'indent', 'dedent', 'truncate', 'retype', 'tab'),
    }),
    { minLength: 1, maxLength: 4 },
  )
  .map((edits) => {
    const lines = validConfig.split('\n');
    for (const { line, edit } of edits) {
      const text = lines[line] ?? '';
      if (edit === 'drop') lines.splice(line, 1);
      if (edit === 'duplicate') lines.splice(line, 0, text);
      if (edit === 'indent') lines[line] = `  ${text}`;
      if (edit === 'dedent') lines[line] = text.replace(/^ {2}/, '');
      if (edit === 'truncate') lines[line] = text.slice(0, Math.ceil(text.length / 2));
      if (edit === 'retype') lines[line] = text.replace(/: .*$/, ': [1, {a: 2}]');
      if (edit === 'tab') lines[line] = `\t${text}`;
    }
    return lines.join('\n');
  });

describe('the loader, fed anything', () => {
  it('never throws on random text, and locates every problem', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii', maxLength: 300 }), (text) => {
        expectLocatedDiagnostics(loadText(text));
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on random unicode text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        expectLocatedDiagnostics(loadText(text));
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on near-valid YAML, and locates every problem', () => {
    fc.assert(
      fc.property(nearValidConfig, (text) => {
        expectLocatedDiagnostics(loadText(text));
        expectLocatedDiagnostics(loadText(text, 'connect'));
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on random YAML values in place of the destination', () => {
    const yamlValue = fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value));
    fc.assert(
      fc.property(yamlValue, (value) => {
        expectLocatedDiagnostics(
          loadText(validConfig.replace(/ {2}warehouse:[\s\S]*$/, `  warehouse: ${value}\n`)),
        );
      }),
      { numRuns: 300 },
    );
  });
});
