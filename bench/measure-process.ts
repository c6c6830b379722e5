// Runs one command as a subprocess and measures it: wall time, and the peak
// resident memory of the process itself (not of its children, nor of this
// harness).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Measurement {
  wallMs: number;
  /** Peak resident set size in MiB, when asked for. */
  peakRssMiB?: number;
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface MeasureOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  /** Measure the peak RSS; with GNU time when installed, else by polling /proc. */
  memory?: boolean;
}

const gnuTime = '/usr/bin/time';

/**
 * Runs `command` and resolves when it exits. With `memory`, GNU time reports
 * the process's own maximum RSS (getrusage of the child it execs: node runs
 * pgdest in that very process, tsx included). Without GNU time, VmHWM of
 * /proc/PID/status is polled every 10 ms, which can miss a peak in the last
 * few milliseconds.
 */
export async function measureProcess(
  command: string,
  args: readonly string[],
  options: MeasureOptions,
): Promise<Measurement> {
  const useTime = options.memory === true && existsSync(gnuTime);
  const scratch = useTime ? await mkdtemp(join(tmpdir(), 'pgdest-bench-time-')) : undefined;
  const timeFile = scratch && join(scratch, 'rss');
  const [file, argv] = timeFile
    ? [gnuTime, ['-f', '%M', '-o', timeFile, command, ...args]]
    : [command, [...args]];

  const started = performance.now();
  const child = spawn(file, argv, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

  let polledKiB = 0;
  const poller =
    options.memory === true && !useTime
      ? setInterval(() => {
          readFile(`/proc/${child.pid}/status`, 'utf8')
            .then((status) => {
              const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
              if (match) polledKiB = Math.max(polledKiB, Number(match[1]));
            })
            .catch(() => {});
        }, 10)
      : undefined;

  const exitCode = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code ?? 1));
  });
  const wallMs = performance.now() - started;
  if (poller) clearInterval(poller);

  let peakRssMiB: number | undefined;
  if (timeFile) {
    const text = await readFile(timeFile, 'utf8').catch(() => '');
    // GNU time writes "Command exited with non-zero status N" first on failure.
    const kib = Number(text.trim().split('\n').at(-1));
    if (Number.isFinite(kib) && kib > 0) peakRssMiB = kib / 1024;
    await rm(scratch!, { recursive: true, force: true });
  } else if (options.memory === true && polledKiB > 0) {
    peakRssMiB = polledKiB / 1024;
  }
  return { wallMs, peakRssMiB, exitCode, stdout, stderr };
}
