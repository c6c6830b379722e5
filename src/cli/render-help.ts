import type { Command } from './command.ts';

const tagline =
  'pgdest manages the PostgreSQL databases that data pipelines write into, as code, through SSH bastions.';

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
    'Options for every command:',
    '  -c, --config PATH  the config file, or a folder of *.yaml files (default: pgdest.yaml)',
    '  --no-color         no colours (also when NO_COLOR is set)',
    '  -v, --verbose      debug lines on standard error',
    '  -h, --help         help for pgdest or a command',
    '  --version          the version of pgdest',
    '',
    'Exit codes: 0 success; 1 an error; 2 changes found by plan --detailed-exitcode.',
    'Diagnostics go to standard error, results to standard output.',
    "Run `pgdest <command> --help` for a command's options. Documentation: README.md.",
    '',
  ].join('\n');
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
