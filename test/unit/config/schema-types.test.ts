import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { renderConfigTypes } from '../../support/render-config-types.ts';

describe('the config types', () => {
  it('are generated from the current schema (run `npm run generate:types` after changing it)', async () => {
    const committed = await readFile(
      new URL('../../../src/config/schema-types.ts', import.meta.url),
      'utf8',
    );
    expect(committed).toBe(await renderConfigTypes());
  });
});
