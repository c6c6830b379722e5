import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { createPalette, type Palette } from '../render/palette.ts';
import { renderDiagnostics } from '../render/render-diagnostics.ts';
import type { OptionValues } from './command.ts';
import type { Io } from './io.ts';

/** Whether colour is on for a stream: a terminal, no --no-color, no NO_COLOR. */
export function paletteFor(io: Io, options: OptionValues, stream: 'stdout' | 'stderr'): Palette {
  const isTTY = stream === 'stdout' ? io.stdoutIsTTY : io.stderrIsTTY;
  const noColor =
    options['no-color'] === true || (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '');
  return createPalette(isTTY && !noColor && io.env.TERM !== 'dumb');
}

/** Diagnostics go to standard error, always. */
export function printDiagnostics(
  io: Io,
  options: OptionValues,
  diagnostics: readonly Diagnostic[],
): void {
  if (diagnostics.length === 0) return;
  io.stderr.write(`${renderDiagnostics(diagnostics, paletteFor(io, options, 'stderr'), io.cwd)}\n`);
}

export function writeJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
