import type { Config } from '../config/model.ts';
import { formatBastionEndpoint } from '../config/endpoints.ts';
import type { ProgressListener, ProgressStage } from '../diagnostics/progress.ts';
import type { Palette } from '../render/palette.ts';
import type { Io } from './io.ts';

const activeLabels: Partial<Record<ProgressStage, string>> = {
  connecting: 'connecting',
  inspecting: 'inspecting',
  applying: 'applying',
  checking: 'checking',
};
const doneLabels: Partial<Record<ProgressStage, string>> = {
  inspected: 'inspected',
  applied: 'applied',
  checked: 'checked',
  failed: 'failed',
};

// The live view shows at most this many destinations, those still working first.
const liveRows = 12;
const redrawMs = 80;

export interface ProgressReporter {
  listener: ProgressListener;
  /** Ends the live view; the lines printed so far stay. */
  finish(): void;
}

/**
 * Shows each destination's progress on standard error, never on standard
 * output: on a terminal, a live line per destination (connecting through
 * which bastion, inspecting, applying, done or failed, with times) redrawn in
 * place; elsewhere, a plain line as each destination finishes a stage.
 */
export function createProgressReporter(io: Io, config: Config, palette: Palette): ProgressReporter {
  const rows = new Map<string, { stage: ProgressStage; since: number; done?: number }>();
  const via = (name: string) => {
    const bastion = config.bastions.get(config.destinations.get(name)?.bastion ?? '');
    return bastion ? ` through ${formatBastionEndpoint(bastion)}` : '';
  };
  const describe = (name: string, row: { stage: ProgressStage; since: number; done?: number }) => {
    const seconds = (((row.done ?? performance.now()) - row.since) / 1000).toFixed(1);
    if (row.stage === 'failed')
      return `${palette.red('✗')} destination.${name} failed after ${seconds} s`;
    const done = doneLabels[row.stage];
    if (done) return `${palette.green('✓')} destination.${name} ${done} in ${seconds} s`;
    const where = row.stage === 'connecting' ? via(name) : '';
    return `${palette.dim('…')} destination.${name} ${activeLabels[row.stage]}${where} ${palette.dim(`${seconds} s`)}`;
  };

  if (!io.stderrIsTTY) {
    return {
      listener(name, stage) {
        const now = performance.now();
        const row = rows.get(name);
        const since = row && !doneLabels[row.stage] ? row.since : now;
        rows.set(name, { stage, since, done: doneLabels[stage] ? now : undefined });
        if (doneLabels[stage]) io.stderr.write(`${describe(name, rows.get(name)!)}\n`);
      },
      finish() {},
    };
  }

  let drawn = 0;
  let timer: NodeJS.Timeout | undefined;
  const draw = () => {
    const entries = [...rows].sort(
      ([, a], [, b]) => Number(Boolean(doneLabels[a.stage])) - Number(Boolean(doneLabels[b.stage])),
    );
    const shown = entries.slice(0, liveRows).map(([name, row]) => describe(name, row));
    const finished = entries.filter(([, row]) => doneLabels[row.stage]).length;
    if (entries.length > liveRows)
      shown.push(
        palette.dim(
          `  and ${entries.length - liveRows} more: ${finished} of ${entries.length} done`,
        ),
      );
    io.stderr.write(`${drawn ? `\u001b[${drawn}A` : ''}\u001b[0J${shown.join('\n')}\n`);
    drawn = shown.length;
  };
  return {
    listener(name, stage) {
      const now = performance.now();
      const row = rows.get(name);
      rows.set(name, {
        stage,
        since: row && !doneLabels[row.stage] ? row.since : now,
        done: doneLabels[stage] ? now : undefined,
      });
      timer ??= setInterval(draw, redrawMs);
    },
    finish() {
      if (timer) clearInterval(timer);
      timer = undefined;
      if (rows.size > 0) draw();
      rows.clear();
      drawn = 0;
    },
  };
}
