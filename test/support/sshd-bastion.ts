import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKey, type KeyType, type SshKey } from './client-keys.ts';
import { runCommand } from './run-command.ts';
import { startServerProcess, type ServerProcess } from './server-process.ts';
import { createTempDir, removeTempDir } from './temp-dir.ts';
import type { Place, TestNetwork } from './test-network.ts';

export interface SshdOptions {
  place: Place;
  network: TestNetwork;
  /** Public key lines allowed to log in as root. */
  authorizedKeys: readonly string[];
  /** Host keys to generate and serve, the first preferred; default `['ed25519']`. */
  hostKeyTypes?: readonly KeyType[];
  /** Default true; false serves `AllowTcpForwarding no`. */
  allowTcpForwarding?: boolean;
  /** `PermitOpen` entries (`host:port`); default any. */
  permitOpen?: readonly string[];
  /** `MaxStartups`; default `100:30:200`, so that parallel tests are not dropped. */
  maxStartups?: string;
  /** The port to prefer in a namespace; default 22. Outside one a random port is used. */
  port?: number;
  /** More sshd_config lines. */
  extraConfig?: readonly string[];
}

/** A real OpenSSH sshd acting as a bastion; clients log in as root with a key. */
export interface SshdBastion {
  readonly place: Place;
  readonly port: number;
  readonly user: string;
  readonly logPath: string;
  /** The host keys it serves, first the preferred one; `publicKey` lines are `type base64`. */
  readonly hostKeys: readonly SshKey[];
  /** Its address as seen from another place. */
  hostFor(seenFrom: Place): string;
  /** The host key of a type, default the first. */
  hostKey(type?: KeyType): SshKey;
  /** Allows one more public key to log in; takes effect for the next connection. */
  authorize(publicKey: string): Promise<void>;
  /** TCP connections sshd accepted so far (its `Connection from` log lines). */
  countConnections(): Promise<number>;
  /** Successful logins so far (`Accepted publickey`). */
  countLogins(): Promise<number>;
  readLog(): Promise<string>;
  /** Stops sshd and removes its files. */
  stop(): Promise<void>;
}

/**
 * Starts OpenSSH's sshd (Debian's openssh-server) as root in `place`, with its
 * own host keys, an authorized_keys file in a temp folder (StrictModes off,
 * no PAM) and root logins by key only, so that no OS user needs creating. It
 * logs at VERBOSE to a file, from which the connections it accepted are
 * counted.
 */
export async function startSshd(options: SshdOptions): Promise<SshdBastion> {
  const dir = await createTempDir('sshd');
  const logPath = join(dir, 'sshd.log');
  const authorizedKeys = join(dir, 'authorized_keys');
  const configPath = join(dir, 'sshd_config');
  // sshd insists on its privilege separation folder existing.
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });

  const hostKeys: SshKey[] = [];
  for (const type of options.hostKeyTypes ?? ['ed25519']) {
    hostKeys.push(await generateKey(dir, { type, name: `ssh_host_${type}_key` }));
  }
  await writeFile(authorizedKeys, options.authorizedKeys.map((line) => `${line}\n`).join(''), {
    mode: 0o600,
  });
  const port = await options.place.allocatePort(options.port ?? 22);
  await writeFile(configPath, await renderConfig(options, { dir, port, authorizedKeys, hostKeys }));

  const server: ServerProcess = await startServerProcess({
    name: 'sshd',
    command: options.place.wrap('/usr/sbin/sshd', ['-D', '-f', configPath, '-E', logPath]),
    logPath: join(dir, 'sshd.out'),
    isReady: async () =>
      (await readFile(logPath, 'utf8').catch(() => '')).includes('Server listening on'),
  });
  const countLines = async (pattern: RegExp): Promise<number> =>
    ((await readFile(logPath, 'utf8')).match(pattern) ?? []).length;

  return {
    place: options.place,
    port,
    user: 'root',
    logPath,
    hostKeys,
    hostFor: (seenFrom) => options.network.addressOf(options.place, seenFrom),
    hostKey(type) {
      const key =
        type === undefined ? hostKeys[0] : hostKeys.find((candidate) => candidate.type === type);
      if (key === undefined) throw new Error(`this sshd serves no ${type} host key`);
      return key;
    },
    authorize: (publicKey) => appendFile(authorizedKeys, `${publicKey}\n`),
    countConnections: () => countLines(/^Connection from \S+ port \d+ on /gm),
    countLogins: () => countLines(/^Accepted publickey for /gm),
    readLog: () => readFile(logPath, 'utf8'),
    async stop() {
      await server.stop('SIGTERM');
      await removeTempDir(dir);
    },
  };
}

async function renderConfig(
  options: SshdOptions,
  files: { dir: string; port: number; authorizedKeys: string; hostKeys: readonly SshKey[] },
): Promise<string> {
  const lines = [
    `Port ${files.port}`,
    ...(options.place.listenAddress === '*'
      ? []
      : [`ListenAddress ${options.place.listenAddress}`]),
    ...files.hostKeys.map((key) => `HostKey ${key.path}`),
    `PidFile ${join(files.dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${files.authorizedKeys}`,
    'StrictModes no',
    'UsePAM no',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitTTY no',
    'X11Forwarding no',
    'AllowAgentForwarding no',
    'PrintMotd no',
    'LogLevel VERBOSE',
    `MaxStartups ${options.maxStartups ?? '100:30:200'}`,
    `AllowTcpForwarding ${options.allowTcpForwarding === false ? 'no' : 'yes'}`,
    ...(options.permitOpen === undefined ? [] : [`PermitOpen ${options.permitOpen.join(' ')}`]),
    // OpenSSH 9.8 and later shut out a source address after failed logins;
    // tests fail logins on purpose.
    ...((await hasPerSourcePenalties()) ? ['PerSourcePenalties no'] : []),
    ...(options.extraConfig ?? []),
  ];
  return `${lines.join('\n')}\n`;
}

let penalties: Promise<boolean> | undefined;

function hasPerSourcePenalties(): Promise<boolean> {
  penalties ??= runCommand('/usr/sbin/sshd', ['-V'], { allowFailure: true }).then((result) => {
    const version = /OpenSSH_(\d+)\.(\d+)/.exec(result.stderr + result.stdout);
    if (version === null) return false;
    const [major, minor] = [Number(version[1]), Number(version[2])];
    return major > 9 || (major === 9 && minor >= 8);
  });
  return penalties;
}
