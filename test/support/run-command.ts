import { spawn } from 'node:child_process';

/** What a finished command printed, and how it ended. */
export interface CommandResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface RunCommandOptions {
  /** Written to the command's standard input, which is then closed. */
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Resolve with a non-zero exit code instead of rejecting. */
  allowFailure?: boolean;
  /** Kill the command after this long; default 60 s. */
  timeoutMs?: number;
}

/**
 * Runs a command to completion and gives its output. A non-zero exit rejects
 * with an error that shows the command line and what it printed, so that a
 * failing setup step explains itself in the test report.
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: RunCommandOptions = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = { stdout, stderr, code: code ?? (signal ? 128 : 1) };
      if (result.code === 0 || options.allowFailure) resolve(result);
      else {
        reject(
          new Error(
            `${command} ${args.join(' ')} exited with ${code ?? signal}:\n${stderr}${stdout}`,
          ),
        );
      }
    });
    if (child.stdin !== null) {
      // A command that exits without reading its input must not crash us.
      child.stdin.on('error', () => {});
      child.stdin.end(options.input);
    }
  });
}

/** Whether a program can be found on PATH (or at the absolute path given). */
export async function hasCommand(command: string): Promise<boolean> {
  const result = await runCommand('sh', ['-c', 'command -v "$1"', 'sh', command], {
    allowFailure: true,
  });
  return result.code === 0;
}
