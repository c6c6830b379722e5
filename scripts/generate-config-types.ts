// Writes src/config/schema-types.ts from schemas/pgdest.schema.json, so that
// the TypeScript view of the raw config never drifts from the schema.
// A unit test fails when the committed file is out of date.
import { writeFile } from 'node:fs/promises';
import { renderConfigTypes } from '../test/support/render-config-types.ts';

const target = new URL('../src/config/schema-types.ts', import.meta.url);
await writeFile(target, await renderConfigTypes());
console.log(`wrote ${target.pathname}`);
