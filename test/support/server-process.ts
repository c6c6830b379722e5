import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { onProcessExit } from './exit-cleanup.ts';

/** A long-running server started by the test support. */
export interface ServerProcess {
  readonly pid: number;
  /** Whether the process has exited. */
  readonly exited: boolean;
  /** Sends `signal` (default SIGTERM), waits for the exit, and kills it after 10 s. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface StartServerOptions {
  /** For messages: `postgres`, `sshd`. */
  name: string;
  command: [string, string[]];
  /** Standard output and error are appended here. */
  logPath: string;
  /** Polled until true; the server is then ready. */
  isReady: () => Promise<boolean>;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts a server in the background and waits until `isReady` says it is
 * serving. The process is killed when the test process exits, should afterAll
 * never run. A server that exits or stays unready fails with its log.
 */
export async function startServerProcess(options: StartServerOptions): Promise<ServerProcess> {
  const [command, args] = options.command;
  const log = openSync(options.logPath, 'a');
  const child = spawn(command, args, {
    stdio: ['ignore', log, log],
    env: options.env ?? process.env,
  });
  closeSync(log);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', () => {
      exited = true;
      resolve();
    });
  });
  const unregister = onProcessExit(() => child.kill('SIGKILL'));

  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (!(await options.isReady())) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      const output = await readFile(options.logPath, 'utf8').catch(() => '');
      throw new Error(
        `${options.name} ${exited ? 'exited' : 'did not become ready'} (${command} ${args.join(' ')}):\n${output.slice(-4000)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 30));
  }

  return {
    pid: child.pid!,
    get exited() {
      return exited;
    },
    async stop(signal = 'SIGTERM') {
      unregister();
      if (exited) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    },
  };
}
