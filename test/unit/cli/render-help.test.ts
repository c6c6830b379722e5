import { describe, expect, it } from 'vitest';
import { commonOptions } from '../../../src/cli/command.ts';
import { commands } from '../../../src/cli/main.ts';

describe('the usage line of a command', () => {
  it.each(commands)('$name names every option of its own', (command) => {
    const own = Object.entries(command.options).filter(
      ([name]) => !(name in commonOptions) || name === 'config',
    );
    const missing = own.filter(
      ([name, spec]) =>
        !command.usage.includes(`--${name}`) &&
        !(spec.short !== undefined && command.usage.includes(`-${spec.short} `)),
    );
    expect(missing.map(([name]) => name)).toEqual([]);
  });
});
