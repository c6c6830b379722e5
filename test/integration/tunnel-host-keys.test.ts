import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bastion } from '../../src/config/model.ts';
import { TunnelError } from '../../src/tunnel/tunnel-error.ts';
import { TunnelPool } from '../../src/tunnel/tunnel-pool.ts';
import { createCapturingLogger, type CapturingLogger } from '../support/capture-logger.ts';
import { generateKey, type SshKey } from '../support/client-keys.ts';
import { bastionFor } from '../support/model-fixtures.ts';
import { runCommand } from '../support/run-command.ts';
import { startSshd, type SshdBastion } from '../support/sshd-bastion.ts';
import { startLab, type Lab } from '../support/start-lab.ts';

/*
 * Every host key mode against real sshd host keys. The bastion serves
 * ed25519, ECDSA and RSA host keys (ed25519 preferred); a second sshd listens
 * on port 2222 for the [host]:port form of known_hosts.
 */

let lab: Lab;
let otherPort: SshdBastion;
let impostor: SshKey;
let homes = 0;

beforeAll(async () => {
  lab = await startLab({ sshd: { hostKeyTypes: ['ed25519', 'ecdsa', 'rsa'] } });
  otherPort = await startSshd({
    place: lab.bastionPlace,
    network: lab.network,
    port: 2222,
    authorizedKeys: [lab.clientKey.publicKey],
  });
  impostor = await generateKey(lab.dir, { type: 'ed25519', name: 'impostor-host-key' });
});

afterAll(async () => {
  await otherPort?.stop();
  await lab?.stop();
});

/** A home folder of its own for each test, so that nothing touches the real ~/.ssh. */
async function newHome(): Promise<string> {
  const home = join(lab.dir, `home-${++homes}`);
  await mkdir(home);
  return home;
}

/** A known_hosts file in a fresh folder holding these lines. */
async function knownHostsWith(...lines: string[]): Promise<string> {
  const path = join(await newHome(), 'known_hosts');
  await writeFile(path, lines.map((line) => `${line}\n`).join(''));
  return path;
}

/**
 * The host field ssh would write for a bastion: the bare address on port 22,
 * `[address]:port` otherwise.
 */
function hostField(sshd: SshdBastion): string {
  const address = sshd.hostFor(lab.network.host);
  return sshd.port === 22 ? address : `[${address}]:${sshd.port}`;
}

/** `type base64` of a key, without its comment. */
function keyFields(key: SshKey): string {
  return key.publicKey.split(' ').slice(0, 2).join(' ');
}

function bastion(overrides: Partial<Bastion>, sshd: SshdBastion = lab.sshd): Bastion {
  const base = bastionFor(sshd, lab.network.host, lab.clientKey, overrides);
  return 'hostKey' in overrides ? base : { ...base, hostKey: undefined };
}

async function connect(
  config: Bastion,
  options: { homeDir?: string; logger?: CapturingLogger } = {},
) {
  const pool = new TunnelPool(new Map([[config.name, config]]), {
    logger: options.logger ?? createCapturingLogger(),
    homeDir: options.homeDir ?? (await newHome()),
  });
  try {
    await pool.connect(config.name);
    return pool.hostKeyOf(config.name);
  } finally {
    await pool.close();
  }
}

async function refusal(config: Bastion, options: { homeDir?: string } = {}): Promise<TunnelError> {
  const error = await connect(config, options).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(TunnelError);
  return error as TunnelError;
}

describe('a pinned host key', () => {
  it('is accepted when the bastion presents it, in one handshake', async () => {
    const connectionsBefore = await lab.sshd.countConnections();
    const seen = await connect(bastion({ hostKey: lab.sshd.hostKey('ed25519').fingerprint }));

    expect(seen).toBe(lab.sshd.hostKey('ed25519').fingerprint);
    expect(await lab.sshd.countConnections()).toBe(connectionsBefore + 1);
  });

  it.each(['ecdsa', 'rsa'] as const)(
    'is accepted when it is the bastion %s key, which the handshake does not pick first',
    async (type) => {
      const loginsBefore = await lab.sshd.countLogins();
      const seen = await connect(bastion({ hostKey: lab.sshd.hostKey(type).fingerprint }));

      expect(seen).toBe(lab.sshd.hostKey(type).fingerprint);
      expect(await lab.sshd.countLogins()).toBe(loginsBefore + 1);
    },
  );

  it('refuses a different key, shows every key the bastion has and never logs in', async () => {
    const loginsBefore = await lab.sshd.countLogins();
    const error = await refusal(bastion({ hostKey: impostor.fingerprint }));
    const [ed25519, ecdsa, rsa] = (['ed25519', 'ecdsa', 'rsa'] as const).map(
      (type) => lab.sshd.hostKey(type).fingerprint,
    );

    expect(error.reason).toBe('host-key-changed');
    expect(error.diagnostic.summary).toBe('Host key of bastion "main" has changed');
    expect(error.diagnostic.detail).toContain(
      `presented the ED25519 host key ${ed25519}; asked for its other host keys, it presented the ECDSA host key ${ecdsa} and the RSA host key ${rsa}.`,
    );
    expect(error.diagnostic.detail).toContain(`expects ${impostor.fingerprint} (host_key)`);
    expect(error.diagnostic.hint).toContain(`host_key: ${ed25519}`);
    expect(await lab.sshd.countLogins()).toBe(loginsBefore);
  });

  it('refuses a different key of a bastion with a single host key after one more handshake', async () => {
    const connectionsBefore = await otherPort.countConnections();
    const error = await refusal(bastion({ hostKey: impostor.fingerprint }, otherPort));

    expect(error.reason).toBe('host-key-changed');
    expect(error.diagnostic.detail).toContain(
      `presented the ED25519 host key ${otherPort.hostKey().fingerprint}. The configuration expects ${impostor.fingerprint} (host_key).`,
    );
    // The second one asks for the other key types and finds none.
    expect(await otherPort.countConnections()).toBe(connectionsBefore + 2);
  });

  it('refuses a mismatch even when known_hosts holds the presented key', async () => {
    const knownHosts = await knownHostsWith(
      `${hostField(lab.sshd)} ${keyFields(lab.sshd.hostKey('ed25519'))}`,
    );
    const error = await refusal(bastion({ hostKey: impostor.fingerprint, knownHosts }));

    expect(error.reason).toBe('host-key-changed');
  });

  it('refuses a pinned RSA key that known_hosts marks @revoked, found on a later handshake', async () => {
    const knownHosts = await knownHostsWith(`@revoked * ${keyFields(lab.sshd.hostKey('rsa'))}`);
    const error = await refusal(
      bastion({ knownHosts, hostKey: lab.sshd.hostKey('rsa').fingerprint }),
    );

    expect(error.reason).toBe('host-key-revoked');
    expect(error.diagnostic.detail).toContain(
      `presented the RSA host key ${lab.sshd.hostKey('rsa').fingerprint}`,
    );
  });

  it('refuses to go on to the pinned RSA key once the bastion presented a revoked one', async () => {
    const knownHosts = await knownHostsWith(`@revoked * ${keyFields(lab.sshd.hostKey('ed25519'))}`);
    const error = await refusal(
      bastion({ knownHosts, hostKey: lab.sshd.hostKey('rsa').fingerprint }),
    );

    expect(error.reason).toBe('host-key-revoked');
  });
});

describe('known_hosts', () => {
  it('accepts a key listed under the plain host name', async () => {
    const knownHosts = await knownHostsWith(
      `${hostField(lab.sshd)} ${keyFields(lab.sshd.hostKey('ed25519'))}`,
    );

    expect(await connect(bastion({ knownHosts }))).toBe(lab.sshd.hostKey('ed25519').fingerprint);
  });

  it('matches the host in a comma-separated list of patterns', async () => {
    const knownHosts = await knownHostsWith(
      `bastion.example.com,${hostField(lab.sshd)} ${keyFields(lab.sshd.hostKey('ed25519'))}`,
    );

    expect(await connect(bastion({ knownHosts }))).toBe(lab.sshd.hostKey('ed25519').fingerprint);
  });

  it('matches a hashed |1| line written by ssh-keygen -H', async () => {
    const knownHosts = await knownHostsWith(
      `${hostField(lab.sshd)} ${keyFields(lab.sshd.hostKey('ed25519'))}`,
    );
    await runCommand('ssh-keygen', ['-H', '-f', knownHosts]);
    const text = await readFile(knownHosts, 'utf8');
    expect(text).toMatch(/^\|1\|/);

    expect(await connect(bastion({ knownHosts }))).toBe(lab.sshd.hostKey('ed25519').fingerprint);
  });

  it('matches a [host]:port line for a bastion on another port', async () => {
    const knownHosts = await knownHostsWith(
      `${hostField(otherPort)} ${keyFields(otherPort.hostKey())}`,
    );

    expect(await connect(bastion({ knownHosts }, otherPort))).toBe(otherPort.hostKey().fingerprint);
  });

  it('does not match a line without the port for a bastion on another port', async () => {
    const knownHosts = await knownHostsWith(
      `${otherPort.hostFor(lab.network.host)} ${keyFields(otherPort.hostKey())}`,
    );
    const error = await refusal(bastion({ knownHosts }, otherPort));

    expect(error.reason).toBe('host-key-unknown');
  });

  it('asks the bastion for the type of key known_hosts holds', async () => {
    const knownHosts = await knownHostsWith(
      `${hostField(lab.sshd)} ${keyFields(lab.sshd.hostKey('rsa'))}`,
    );

    expect(await connect(bastion({ knownHosts }))).toBe(lab.sshd.hostKey('rsa').fingerprint);
  });

  it('passes over lines of key types it cannot check, such as security keys', async () => {
    const securityKey =
      'sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIA==';
    const knownHosts = await knownHostsWith(
      `${hostField(lab.sshd)} ${securityKey}`,
      `${hostField(lab.sshd)} ${keyFields(lab.sshd.hostKey('ecdsa'))}`,
    );

    expect(await connect(bastion({ knownHosts }))).toBe(lab.sshd.hostKey('ecdsa').fingerprint);
  });

  it('refuses to connect when the known_hosts file cannot be read', async () => {
    const unreadable = await newHome();
    const error = await refusal(bastion({ knownHosts: unreadable }));

    expect(error.reason).toBe('known-hosts-unreadable');
    expect(error.diagnostic.detail).toContain(`Reading ${unreadable} failed`);
  });

  it('refuses a key that differs from the line of its type, naming the file and line', async () => {
    const knownHosts = await knownHostsWith(
      '# bastions',
      `${hostField(lab.sshd)} ${keyFields(impostor)}`,
    );
    const error = await refusal(bastion({ knownHosts }));

    expect(error.reason).toBe('host-key-changed');
    expect(error.diagnostic.detail).toContain(`${impostor.fingerprint} (${knownHosts}:2)`);
    expect(error.diagnostic.hint).toContain(
      `ssh-keygen -R "${hostField(lab.sshd)}" -f ${knownHosts}`,
    );
  });

  it('refuses an unknown key under strict, showing the fingerprint and how to pin it', async () => {
    const knownHosts = await knownHostsWith(`bastion.example.com ${keyFields(impostor)}`);
    const error = await refusal(bastion({ knownHosts }));
    const presented = lab.sshd.hostKey('ed25519').fingerprint;

    expect(error.reason).toBe('host-key-unknown');
    expect(error.diagnostic.summary).toBe('Host key of bastion "main" is not known');
    expect(error.diagnostic.detail).toContain(`presented the ED25519 host key ${presented}`);
    expect(error.diagnostic.hint).toContain(`host_key: ${presented}`);
    expect(error.diagnostic.hint).toContain(
      `ssh-keyscan -p ${lab.sshd.port} ${lab.sshd.hostFor(lab.network.host)} >> ${knownHosts}`,
    );
  });

  it('refuses a key marked @revoked, even when it is pinned', async () => {
    const revoked = `@revoked * ${keyFields(lab.sshd.hostKey('ed25519'))}`;
    const knownHosts = await knownHostsWith(
      revoked,
      `${hostField(lab.sshd)} ${keyFields(lab.sshd.hostKey('ed25519'))}`,
    );
    const error = await refusal(
      bastion({ knownHosts, hostKey: lab.sshd.hostKey('ed25519').fingerprint }),
    );

    expect(error.reason).toBe('host-key-revoked');
    expect(error.diagnostic.summary).toBe('Host key of bastion "main" is revoked');
  });

  it('ignores @cert-authority lines, so they trust no plain key', async () => {
    const knownHosts = await knownHostsWith(
      `@cert-authority ${hostField(lab.sshd)} ${keyFields(lab.sshd.hostKey('ed25519'))}`,
    );
    const error = await refusal(bastion({ knownHosts }));

    expect(error.reason).toBe('host-key-unknown');
  });

  it('reads ~/.ssh/known_hosts under the home folder when the bastion names no file and no pin', async () => {
    const home = await newHome();
    await mkdir(join(home, '.ssh'));
    await writeFile(
      join(home, '.ssh', 'known_hosts'),
      `${hostField(lab.sshd)} ${keyFields(lab.sshd.hostKey('ed25519'))}\n`,
    );

    expect(await connect(bastion({}), { homeDir: home })).toBe(
      lab.sshd.hostKey('ed25519').fingerprint,
    );
  });

  it('names ~/.ssh/known_hosts under the home folder when refusing without a file or pin', async () => {
    const home = await newHome();
    const error = await refusal(bastion({}), { homeDir: home });

    expect(error.diagnostic.detail).toContain(join(home, '.ssh', 'known_hosts'));
  });
});

describe('host_key_check: accept-new', () => {
  it('records an unknown key once in ~/.ssh/known_hosts, created private', async () => {
    const home = await newHome();
    const logger = createCapturingLogger();
    const config = bastion({ hostKeyCheck: 'accept-new' });

    await connect(config, { homeDir: home, logger });
    await connect(config, { homeDir: home, logger });

    const file = join(home, '.ssh', 'known_hosts');
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines).toEqual([`${hostField(lab.sshd)} ${keyFields(lab.sshd.hostKey('ed25519'))}`]);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, '.ssh'))).mode & 0o777).toBe(0o700);
    expect(logger.warnings().filter((line) => line.startsWith('added the'))).toHaveLength(1);
  });

  it('records the key in the known_hosts file the bastion names', async () => {
    const knownHosts = await knownHostsWith('# empty');
    await connect(bastion({ hostKeyCheck: 'accept-new', knownHosts }));

    expect(await readFile(knownHosts, 'utf8')).toContain(keyFields(lab.sshd.hostKey('ed25519')));
  });

  it('refuses a changed key', async () => {
    const knownHosts = await knownHostsWith(`${hostField(lab.sshd)} ${keyFields(impostor)}`);
    const error = await refusal(bastion({ hostKeyCheck: 'accept-new', knownHosts }));

    expect(error.reason).toBe('host-key-changed');
    expect(await readFile(knownHosts, 'utf8')).not.toContain(
      keyFields(lab.sshd.hostKey('ed25519')),
    );
  });
});

describe('host_key_check: off', () => {
  it('connects and logs a warning every time', async () => {
    const logger = createCapturingLogger();
    const config = bastion({ hostKeyCheck: 'off', hostKey: impostor.fingerprint });

    await connect(config, { logger });
    await connect(config, { logger });

    const warnings = logger
      .warnings()
      .filter((line) => line.includes('not checked because host_key_check is off'));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain(lab.sshd.hostKey('ed25519').fingerprint);
    expect(warnings[0]).toContain('a check would have found it changed');
  });
});
