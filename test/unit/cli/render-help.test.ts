import { describe, expect, it } from 'vitest';
import { commonOptions } from '../../../src/cli/command.ts';
import { commands } from '../../../src/cli/main.ts';
import { runCli } from '../../support/run-cli.ts';

const cwd = '/nonexistent-pgdest-help';
const names = commands.map((c) => c.name);

/** The commands that the heading of a group of options in --help says take them. */
function readTakers(heading: string): string[] {
  if (heading === 'Options for every command:') return names;
  const but = /^Options for every command but (.+):$/.exec(heading)?.[1];
  if (but) return names.filter((name) => !splitWords(but).includes(name));
  const only = /^Options for (.+):$/.exec(heading)?.[1];
  if (only) return splitWords(only);
  throw new Error(`not a heading of options: ${heading}`);
}

function splitWords(text: string): string[] {
  return text.split(/, | and /);
}

/** Each option flag of the top-level help, with the commands it is said to work with. */
async function readSharedOptions(): Promise<Map<string, string[]>> {
  const { stdout } = await runCli(['--help'], { cwd });
  const said = new Map<string, string[]>();
  for (const group of stdout.split('\n\n')) {
    const [heading, ...rows] = group.split('\n');
    if (!heading?.startsWith('Options for')) continue;
    for (const row of rows) said.set(/^ {2}(\S+?),? /.exec(row)![1]!, readTakers(heading));
  }
  return said;
}

describe('pgdest --help', () => {
  it('says which commands take each shared option, as the commands do', async () => {
    const said = await readSharedOptions();
    expect([...said.keys()].sort()).toEqual(['--no-color', '-c', '-h', '-v']);
    expect(said.get('-c')).not.toContain('demo');

    // A command that takes the option shows its help; one that does not refuses it.
    for (const [flag, takers] of said) {
      const args = flag === '-c' ? [flag, 'pgdest.yaml'] : [flag];
      for (const name of names) {
        const result = await runCli([name, ...args, '--help'], { cwd });
        expect(result.code, `pgdest ${name} ${args.join(' ')}`).toBe(takers.includes(name) ? 0 : 1);
      }
    }
  });

  it('names --version as an option of pgdest alone', async () => {
    const { stdout } = await runCli(['--help'], { cwd });
    expect(stdout).toContain('Instead of a command:\n  -V, --version ');
    expect((await runCli(['--version'], { cwd })).code).toBe(0);
    expect((await runCli(['validate', '--version'], { cwd })).code).toBe(1);
  });
});

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
