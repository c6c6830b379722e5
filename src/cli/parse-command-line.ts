import { parseArgs } from 'node:util';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { joinWords, suggestion } from '../diagnostics/did-you-mean.ts';
import type { Command, OptionValues } from './command.ts';

export type ParsedCommandLine =
  | { kind: 'run'; command: Command; options: OptionValues; positionals: string[] }
  | { kind: 'help'; command?: Command }
  | { kind: 'version' }
  | { kind: 'error'; diagnostic: Diagnostic };

/** Splits argv into a command, its options and its arguments, or says what is wrong. */
export function parseCommandLine(
  argv: readonly string[],
  commands: readonly Command[],
): ParsedCommandLine {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? commands.find((c) => c.name === rest[0]) : undefined;
    return { kind: 'help', command: topic };
  }
  if (first === '--version' || first === '-V') return { kind: 'version' };

  const command = commands.find((c) => c.name === first);
  if (!command) {
    const names = commands.map((c) => c.name);
    const isOption = first.startsWith('-');
    return {
      kind: 'error',
      diagnostic: {
        severity: 'error',
        summary: isOption ? `Command expected before ${first}` : `Unknown command "${first}"`,
        detail: `The commands are ${names.join(', ')}.`,
        hint: (!isOption && suggestion(first, names)) || 'Run `pgdest --help` for the list.',
      },
    };
  }

  try {
    const { values, positionals } = parseArgs({
      args: [...rest],
      options: Object.fromEntries(
        Object.entries(command.options).map(([name, { type, short, multiple }]) => [
          name,
          { type, multiple: multiple === true, ...(short && { short }) },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    });
    if (values.help) return { kind: 'help', command };
    for (const [name, spec] of Object.entries(command.options)) {
      const value = values[name];
      if (spec.choices && typeof value === 'string' && !spec.choices.includes(value)) {
        return {
          kind: 'error',
          diagnostic: {
            severity: 'error',
            summary: `Invalid value for --${name}`,
            detail: `--${name} takes ${joinWords(spec.choices)}, not "${value}".`,
            hint: suggestion(value, spec.choices) ?? `Write one of ${joinWords(spec.choices)}.`,
          },
        };
      }
    }
    if (positionals.length > command.maxPositionals) {
      return {
        kind: 'error',
        diagnostic: {
          severity: 'error',
          summary: `Unexpected argument "${positionals[command.maxPositionals]}"`,
          detail: `Usage: ${command.usage}`,
          hint: `Run \`pgdest ${command.name} --help\`.`,
        },
      };
    }
    return { kind: 'run', command, options: values as OptionValues, positionals };
  } catch (error) {
    return {
      kind: 'error',
      diagnostic: describeParseError(error as Error & { code?: string }, command),
    };
  }
}

function describeParseError(error: Error & { code?: string }, command: Command): Diagnostic {
  const unknown = /Unknown option '([^']+)'/.exec(error.message)?.[1];
  if (unknown) {
    const flags = Object.entries(command.options).map(([name]) => `--${name}`);
    return {
      severity: 'error',
      summary: `Unknown option ${unknown}`,
      detail: `pgdest ${command.name} does not take ${unknown}.`,
      hint: suggestion(unknown, flags) ?? `Run \`pgdest ${command.name} --help\` for its options.`,
    };
  }
  return {
    severity: 'error',
    summary: 'Invalid command line',
    detail: `${error.message.replace(/\.?$/, '.')}`,
    hint: `Usage: ${command.usage}`,
  };
}
