import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LoadResult } from '../../../src/config/load-config.ts';
import { loadText, validConfig, yaml } from './load-fixture.ts';

function expectLocatedDiagnostics(result: LoadResult): void {
  for (const diagnostic of result.diagnostics) {
    expect(diagnostic.source, diagnostic.summary).toBeDefined();
    expect(diagnostic.source!.line).toBeGreaterThanOrEqual(1);
    expect(diagnostic.source!.column).toBeGreaterThanOrEqual(1);
    expect(diagnostic.summary).not.toMatch(/\.$/);
  }
  if (!result.config) expect(result.diagnostics.some((d) => d.severity === 'error')).toBe(true);
}

/**
 * Near-valid YAML: the valid config with lines dropped, duplicated,
 * re-indented or altered, anchored, aliased or merged.
 */
const nearValidConfig = fc
  .array(
    fc.record({
      line: fc.nat({ max: 16 }),
      edit: fc.constantFrom(
        'drop',
        'duplicate',
        'indent',
        'dedent',
        'truncate',
        'retype',
        'tab',
        'anchor',
        'alias',
        'merge',
      ),
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
      if (edit === 'anchor') lines[line] = text.replace(/: ?/, ': &x ');
      if (edit === 'alias') lines[line] = text.replace(/: .*$/, ': *x');
      if (edit === 'merge') lines.splice(line, 0, text.replace(/\S.*$/, '<<: *x'));
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

  it('refuses nested aliases that expand too far, at once, and says where', () => {
    const nested = fc.record({
      levels: fc.integer({ min: 1, max: 12 }),
      width: fc.integer({ min: 2, max: 12 }),
    });
    fc.assert(
      fc.property(nested, ({ levels, width }) => {
        const text = yaml(
          'version: 1',
          'destinations:',
          `  l0: &l0 [${new Array(width).fill('INSERT').join(', ')}]`,
          ...Array.from(
            { length: levels },
            (_, level) =>
              `  l${level + 1}: &l${level + 1} [${new Array(width).fill(`*l${level}`).join(', ')}]`,
          ),
        );
        const started = performance.now();
        const result = loadText(text);
        expect(performance.now() - started).toBeLessThan(5000);
        expectLocatedDiagnostics(result);
        const refused = result.diagnostics.find((d) => d.summary === 'Aliases expand too far');
        const values = width ** (levels + 1);
        if (values > 1_000_000)
          expect(refused?.source?.path).toMatch(/^destinations\.l\d+\[\d+\]$/);
        if (values < 10_000) expect(refused).toBeUndefined();
      }),
      { numRuns: 100 },
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
