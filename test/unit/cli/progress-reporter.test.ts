import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgressReporter } from '../../../src/cli/progress-reporter.ts';
import type { Io } from '../../../src/cli/io.ts';
import { plainPalette } from '../../../src/render/palette.ts';
import { configOf, destinationOf } from '../plan/plan-fixtures.ts';

function fakeIo(tty: boolean): { io: Io; stderr: () => string; stdout: () => string } {
  let err = '';
  let out = '';
  const stderr = new PassThrough();
  const stdout = new PassThrough();
  stderr.on('data', (chunk) => (err += chunk));
  stdout.on('data', (chunk) => (out += chunk));
  const io: Io = {
    stdout,
    stderr,
    stdin: new PassThrough(),
    env: {},
    cwd: '/',
    stdoutIsTTY: tty,
    stderrIsTTY: tty,
    stdinIsTTY: tty,
  };
  return { io, stderr: () => err, stdout: () => out };
}

const config = configOf(destinationOf('warehouse'), destinationOf('events'));

describe('progress on long runs', () => {
  it('prints a plain line on standard error as each destination finishes, away from a terminal', async () => {
    const { io, stderr, stdout } = fakeIo(false);
    const progress = createProgressReporter(io, config, plainPalette);
    progress.listener('warehouse', 'connecting');
    progress.listener('warehouse', 'inspecting');
    progress.listener('warehouse', 'inspected');
    progress.listener('events', 'connecting');
    progress.listener('events', 'failed');
    progress.finish();
    await new Promise((resolve) => setImmediate(resolve));
    expect(stderr()).toMatch(
      /^✓ destination\.warehouse inspected in \d+\.\d s\n✗ destination\.events failed after \d+\.\d s\n$/,
    );
    expect(stdout()).toBe('');
  });

  it('redraws a live line per destination on a terminal, naming the bastion it connects through', async () => {
    const { io, stderr, stdout } = fakeIo(true);
    const progress = createProgressReporter(io, config, plainPalette);
    progress.listener('warehouse', 'connecting');
    progress.listener('events', 'connecting');
    progress.listener('events', 'inspected');
    await new Promise((resolve) => setTimeout(resolve, 200));
    progress.finish();
    await new Promise((resolve) => setImmediate(resolve));
    expect(stderr()).toContain(
      '… destination.warehouse connecting through tunnel@bastion.example.com:22',
    );
    expect(stderr()).toContain('\u001b[2A\u001b[0J');
    expect(stderr()).toMatch(/✓ destination\.events inspected in \d+\.\d s/);
    expect(stdout()).toBe('');
  });
});
