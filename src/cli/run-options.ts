import { parseDuration } from '../config/build-config.ts';
import { errorDiagnostic, UserError } from '../diagnostics/diagnostic.ts';
import type { OptionSpec, OptionValues } from './command.ts';

/** The options of the commands that connect: plan, apply, destroy, check. */
export const connectOptions: Record<string, OptionSpec> = {
  target: {
    type: 'string',
    multiple: true,
    value: 'NAME',
    description: 'only this destination (repeatable)',
  },
  parallelism: {
    type: 'string',
    value: 'N',
    description: `how many database sessions work at the same time (default: ${defaultParallelism()})`,
  },
  'lock-timeout': {
    type: 'string',
    value: 'DURATION',
    description: 'how long to wait for the state lock, such as 30s (default: 0s)',
  },
};

function defaultParallelism(): number {
  return 32;
}

export interface RunOptions {
  targets: string[];
  parallelism: number;
  lockTimeoutMs: number;
}

/** Reads --target, --parallelism and --lock-timeout, refusing values that make no sense. */
export function readRunOptions(options: OptionValues): RunOptions {
  const targets = ((options.target as string[] | undefined) ?? []).map((target) =>
    target.replace(/^destination\./, ''),
  );
  const parallelismText = options.parallelism as string | undefined;
  const parallelism =
    parallelismText === undefined ? defaultParallelism() : Number(parallelismText);
  if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > 1000) {
    throw new UserError(
      errorDiagnostic('Invalid --parallelism', {
        detail: `--parallelism takes a whole number from 1 to 1000, not "${parallelismText}".`,
        hint: 'For example --parallelism 10.',
      }),
    );
  }
  const lockText = (options['lock-timeout'] as string | undefined) ?? '0s';
  if (!/^\d{1,9}(ms|s|m|h)$/.test(lockText)) {
    throw new UserError(
      errorDiagnostic('Invalid --lock-timeout', {
        detail: `--lock-timeout takes a duration such as 30s or 2m, not "${lockText}".`,
        hint: 'Write a whole number followed by ms, s, m or h.',
      }),
    );
  }
  return { targets, parallelism, lockTimeoutMs: parseDuration(lockText) };
}
