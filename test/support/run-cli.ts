import { PassThrough, Writable, type Readable } from 'node:stream';
import { main } from '../../src/cli/main.ts';
import type { Io } from '../../src/cli/io.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

class Capture extends Writable {
  text = '';
  constructor(private readonly onText?: (text: string) => void) {
    super();
  }
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    this.onText?.(this.text);
    callback();
  }
}

/**
 * Runs pgdest in this process, as a user would from `cwd`, with standard
 * output and error captured. Nothing is a terminal unless `tty` says so.
 */
export async function runCli(
  args: readonly string[],
  options: {
    cwd: string;
    env?: Record<string, string | undefined>;
    stdin?: string | Readable;
    tty?: boolean;
    /** Told of standard output so far, each time it grows: to act at a prompt. */
    onStdout?: (text: string) => void;
  },
): Promise<CliResult> {
  const stdout = new Capture(options.onStdout);
  const stderr = new Capture();
  let stdin: Readable;
  if (typeof options.stdin === 'object') {
    stdin = options.stdin;
  } else {
    const input = new PassThrough();
    input.end(options.stdin ?? '');
    stdin = input;
  }
  const io: Io = {
    stdout,
    stderr,
    stdin,
    env: { HOME: options.cwd, PATH: process.env.PATH, ...options.env },
    cwd: options.cwd,
    stdoutIsTTY: options.tty ?? false,
    stderrIsTTY: options.tty ?? false,
    stdinIsTTY: options.tty ?? false,
  };
  const code = await main(args, io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}
