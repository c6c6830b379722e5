import type { Io } from './io.ts';

/** An option as `node:util` parseArgs takes it, with its help line. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Shown in help: `PATH`, `N`, `DURATION`. */
  value?: string;
  /** The values a string option accepts; anything else is refused with a did-you-mean. */
  choices?: readonly string[];
  description: string;
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface CommandContext {
  io: Io;
  options: OptionValues;
  positionals: string[];
}

/** One subcommand: its help and how to run it. `run` returns the exit code. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  description: string;
  options: Record<string, OptionSpec>;
  maxPositionals: number;
  run(context: CommandContext): Promise<number>;
}

/** Options every command takes. */
export const commonOptions: Record<string, OptionSpec> = {
  config: {
    type: 'string',
    short: 'c',
    value: 'PATH',
    description: 'the config file, or a folder of *.yaml files to merge (default: pgdest.yaml)',
  },
  'no-color': {
    type: 'boolean',
    description: 'no colours in the output (also when NO_COLOR is set)',
  },
  verbose: { type: 'boolean', short: 'v', description: 'print debug lines on standard error' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

export const formatOption = (formats: string[]): OptionSpec => ({
  type: 'string',
  value: formats.join('|'),
  choices: formats,
  description: 'output format (default: human)',
});
