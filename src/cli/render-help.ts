import { joinWords } from '../diagnostics/did-you-mean.ts';
import type { Command } from './command.ts';

const tagline =
  'pgdest manages the PostgreSQL databases that data pipelines write into, as code, through SSH bastions.';

/**
 * The options that several commands share, as the top-level help shows them.
 * Which commands take each is read from the commands themselves, so that the
 * help cannot promise an option that a command refuses.
 */
const sharedOptions: readonly { name: string; flag: string; description: string }[] = [
  {
    name: 'config',
    flag: '-c, --config PATH',
    description: 'the config file, or a folder of *.yaml files (default: pgdest.yaml)',
  },
  { name: 'no-color', flag: '--no-color', description: 'no colours (also when NO_COLOR is set)' },
  { name: 'verbose', flag: '-v, --verbose', description: 'debug lines on standard error' },
  { name: 'help', flag: '-h, --help', description: 'help for pgdest or a command' },
];

/** The top-level help: what pgdest is, its commands, where to start. */
export function renderHelp(commands: readonly Command[], version: string): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `pgdest ${version}`,
    tagline,
    '',
    'Usage: pgdest <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    ...renderSharedOptions(commands),
    'Exit codes: 0 success; 1 an error; 2 changes found by plan --detailed-exitcode.',
    'Diagnostics go to standard error, results to standard output.',
    "Run `pgdest <command> --help` for a command's options. Documentation: README.md.",
    '',
  ].join('\n');
}

/** The shared options, grouped by the commands that take them, then `--version`. */
function renderSharedOptions(commands: readonly Command[]): string[] {
  const groups = new Map<string, string[]>();
  const width = Math.max(...sharedOptions.map((o) => o.flag.length));
  for (const option of sharedOptions) {
    const takers = commands.filter((c) => option.name in c.options).map((c) => c.name);
    if (takers.length === 0) continue;
    const heading = describeTakers(
      takers,
      commands.map((c) => c.name),
    );
    const rows = groups.get(heading) ?? [];
    rows.push(`  ${option.flag.padEnd(width)}  ${option.description}`);
    groups.set(heading, rows);
  }
  return [
    ...[...groups].flatMap(([heading, rows]) => [heading, ...rows, '']),
    'Instead of a command:',
    `  ${'-V, --version'.padEnd(width)}  the version of pgdest`,
    '',
  ];
}

function describeTakers(takers: readonly string[], all: readonly string[]): string {
  if (takers.length === all.length) return 'Options for every command:';
  const others = all.filter((name) => !takers.includes(name));
  return others.length < takers.length
    ? `Options for every command but ${joinWords(others, 'and')}:`
    : `Options for ${joinWords(takers, 'and')}:`;
}

export function renderCommandHelp(command: Command): string {
  const rows = Object.entries(command.options).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.value ? ` ${spec.value}` : ''}`;
    return [flag, spec.description] as const;
  });
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return [
    `Usage: ${command.usage}`,
    '',
    wrap(command.description, 100),
    '',
    'Options:',
    ...rows.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`),
    '',
  ].join('\n');
}

function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.join('\n');
}
