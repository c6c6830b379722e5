import type { Logger } from '../diagnostics/logger.ts';
import type { Io } from './io.ts';
import type { Palette } from '../render/palette.ts';

/** Debug lines on standard error with -v; warnings always. */
export function createLogger(io: Io, verbose: boolean, palette: Palette): Logger {
  return {
    debug(scope, message) {
      if (verbose) io.stderr.write(palette.dim(`debug ${scope}: ${message}`) + '\n');
    },
    warn(scope, message) {
      io.stderr.write(`${palette.yellow('warning')} ${scope}: ${message}\n`);
    },
  };
}
