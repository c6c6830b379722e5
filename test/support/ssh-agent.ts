import { access, chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SshKey } from './client-keys.ts';
import { runCommand } from './run-command.ts';
import { startServerProcess } from './server-process.ts';

/** A private ssh-agent for one test file. */
export interface SshAgent {
  /** What SSH_AUTH_SOCK would hold. */
  readonly socketPath: string;
  /** Adds a key with ssh-add, answering its passphrase when it has one. */
  add(key: SshKey): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `ssh-agent -D -a SOCKET` in the foreground, with its socket in `dir`. */
export async function startSshAgent(dir: string): Promise<SshAgent> {
  const socketPath = join(dir, 'agent.sock');
  const server = await startServerProcess({
    name: 'ssh-agent',
    command: ['ssh-agent', ['-D', '-a', socketPath]],
    logPath: join(dir, 'ssh-agent.log'),
    isReady: () =>
      access(socketPath).then(
        () => true,
        () => false,
      ),
  });
  return {
    socketPath,
    async add(key) {
      const env: NodeJS.ProcessEnv = { ...process.env, SSH_AUTH_SOCK: socketPath };
      if (key.passphrase !== undefined) {
        // ssh-add reads a passphrase from a terminal or from SSH_ASKPASS; the
        // tests have no terminal.
        const askpass = join(dir, `askpass-${Date.now()}`);
        await writeFile(
          askpass,
          `#!/bin/sh\nprintf '%s\\n' '${key.passphrase.replace(/'/g, `'\\''`)}'\n`,
        );
        await chmod(askpass, 0o700);
        Object.assign(env, { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: 'none' });
      }
      await runCommand('ssh-add', [key.path], { env });
    },
    stop: () => server.stop('SIGTERM'),
  };
}
