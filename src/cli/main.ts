import { UserError } from '../diagnostics/diagnostic.ts';
import type { Command } from './command.ts';
import { systemIo, type Io } from './io.ts';
import { printDiagnostics } from './output.ts';
import { parseCommandLine } from './parse-command-line.ts';
import { renderCommandHelp, renderHelp } from './render-help.ts';
import { validateCommand } from './validate-command.ts';
import { pgdestVersion as version } from './version.ts';
import { planCommand } from './plan-command.ts';
import { checkCommand } from './check-command.ts';
import { applyCommand, destroyCommand } from './apply-command.ts';
import { showCommand } from './show-command.ts';
import { stateCommand } from './state-command.ts';
import { demoCommand } from './demo-command.ts';

/** The commands in the order --help lists them. */
export const commands: readonly Command[] = [
  validateCommand,
  planCommand,
  checkCommand,
  applyCommand,
  showCommand,
  stateCommand,
  destroyCommand,
  demoCommand,
];

/**
 * Runs pgdest with the given arguments and returns the exit code: 0 success,
 * 1 an error, 2 changes found by `plan --detailed-exitcode`.
 */
export async function main(argv: readonly string[], io: Io = systemIo()): Promise<number> {
  const parsed = parseCommandLine(argv, commands);
  switch (parsed.kind) {
    case 'help':
      io.stdout.write(
        parsed.command ? renderCommandHelp(parsed.command) : renderHelp(commands, version),
      );
      return 0;
    case 'version':
      io.stdout.write(`pgdest ${version}\n`);
      return 0;
    case 'error':
      printDiagnostics(io, {}, [parsed.diagnostic]);
      return 1;
    case 'run':
      try {
        return await parsed.command.run({
          io,
          options: parsed.options,
          positionals: parsed.positionals,
        });
      } catch (error) {
        if (error instanceof UserError) {
          printDiagnostics(io, parsed.options, error.diagnostics);
          return 1;
        }
        io.stderr.write(
          `pgdest: internal error. This is a bug in pgdest; please report it with the lines below.\n${(error as Error).stack ?? String(error)}\n`,
        );
        return 1;
      }
  }
}
