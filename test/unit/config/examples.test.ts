import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig, systemEnvironment } from '../../../src/config/load-config.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const examples = [
  ...readdirSync(join(root, 'examples'))
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => `examples/${name}`),
  'examples/ci/pgdest.yaml',
];

describe('the examples', () => {
  it('are found', () => {
    expect(examples.length).toBeGreaterThan(3);
  });

  it.each(examples)('%s names the config schema for editors, on its first line', (example) => {
    const [first] = readFileSync(join(root, example), 'utf8').split('\n');
    const schema = /^# yaml-language-server: \$schema=(\S+)$/.exec(first ?? '')?.[1];
    expect(schema, first).toBeDefined();
    expect(resolve(dirname(join(root, example)), schema!)).toBe(
      join(root, 'schemas/pgdest.schema.json'),
    );
  });

  it.each(examples)('%s is valid on its own, its secrets aside', (example) => {
    // No variable is set and the home folder is empty, so the secrets are
    // warnings; anything else is a problem of the example itself.
    const environment = systemEnvironment({ HOME: join(root, 'examples', 'no-home') });
    const { diagnostics } = loadConfig(join(root, example), { mode: 'offline', environment });
    const others = diagnostics.filter(
      (d) => !/is not set$|^Secret file not found$/.test(d.summary),
    );
    expect(others.map((d) => `${d.severity}: ${d.summary} at ${d.source?.line}`)).toEqual([]);
  });
});
