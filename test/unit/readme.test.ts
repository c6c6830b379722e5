import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import schema from '../../schemas/pgdest.schema.json' with { type: 'json' };
import {
  referenceEnd,
  referenceStart,
  renderConfigReference,
} from '../../scripts/render-config-reference.ts';
import { commonOptions } from '../../src/cli/command.ts';
import { commands } from '../../src/cli/main.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const reference = readme.slice(readme.indexOf(referenceStart), readme.indexOf(referenceEnd));

describe('the README', () => {
  it('starts with the two commands: the demo and the tests', () => {
    const firstScreen = readme.split('\n').slice(0, 20).join('\n');
    expect(firstScreen).toContain('npm ci && npx pgdest demo');
    expect(firstScreen).toContain('npm test');
  });

  it('holds the config reference generated from the schema (run `npm run generate:docs`)', () => {
    expect(reference).toContain(renderConfigReference());
  });

  it('lists every key of the config schema in its reference', () => {
    const keys = new Set<string>();
    const collect = (node: unknown): void => {
      if (node === null || typeof node !== 'object') return;
      for (const key of Object.keys((node as { properties?: object }).properties ?? {}))
        keys.add(key);
      for (const child of Object.values(node)) collect(child);
    };
    collect(schema);
    expect([...keys].filter((key) => !reference.includes(`| \`${key}\` |`))).toEqual([]);
  });

  it('documents every command that --help lists', () => {
    for (const command of commands) expect(readme).toContain(`pgdest ${command.name}`);
  });

  it('documents every option of every command', () => {
    const options = new Set(commands.flatMap((command) => Object.keys(command.options)));
    expect([...options].filter((name) => !readme.includes(`--${name}`))).toEqual([]);
  });

  it('names the commands that do not take a shared option, as --help does', () => {
    for (const [name, spec] of Object.entries(commonOptions)) {
      const without = commands.filter((command) => !(name in command.options));
      if (without.length === 0) continue;
      const flag = `${spec.short ? `-${spec.short}/` : ''}--${name}`;
      const but = without.map((command) => `\`${command.name}\``).join(' and ');
      expect(readme).toMatch(new RegExp(`\`${flag}[^\`]*\` \\(every command but ${but}[;)]`));
    }
  });
});
