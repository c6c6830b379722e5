import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bastion } from '../../src/config/model.ts';
import { connectDatabase } from '../../src/database/connect-database.ts';
import { TunnelError } from '../../src/tunnel/tunnel-error.ts';
import { TunnelPool } from '../../src/tunnel/tunnel-pool.ts';
import { createCapturingLogger } from '../support/capture-logger.ts';
import { generateKey, type KeyFormat, type KeyType, type SshKey } from '../support/client-keys.ts';
import { bastionFor, secretOf } from '../support/model-fixtures.ts';
import { findSecrets, renderErrorForUser } from '../support/secret-canary.ts';
import { startSshAgent, type SshAgent } from '../support/ssh-agent.ts';
import { startLab, type Lab } from '../support/start-lab.ts';

/*
 * Every way a bastion user can authenticate, each proved by a query that only
 * the tunnel can carry: in the lab the database is reachable from the bastion
 * alone. sshd accepts only SHA-2 signatures for RSA here, as modern OpenSSH
 * does by default, so an RSA login proves we do not sign with ssh-rsa (SHA-1).
 */

const loaderPassword = 'canary-loader-password-3f9a1c';
const passphrase = 'canary-passphrase-7d2e5b';
const keyCases: Array<{ type: KeyType; format: KeyFormat; label: string }> = [
  { type: 'rsa', format: 'pem', label: 'a PEM RSA key (the pasted "Server PEM Key")' },
  { type: 'ed25519', format: 'openssh', label: 'an OpenSSH ed25519 key' },
  { type: 'ecdsa', format: 'openssh', label: 'an OpenSSH ECDSA key' },
  { type: 'ecdsa', format: 'pem', label: 'a PEM EC key' },
  { type: 'rsa', format: 'openssh', label: 'an OpenSSH RSA key' },
];

let lab: Lab;
let agent: SshAgent;
const keys = new Map<string, SshKey>();
let encryptedOpenSsh: SshKey;
let encryptedPem: SshKey;
let strangerKey: SshKey;
let pkcs8Key: SshKey;
const logger = createCapturingLogger();
const shownToUser: string[] = [];

beforeAll(async () => {
  lab = await startLab({
    sshd: {
      extraConfig: [
        'PubkeyAcceptedAlgorithms ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256',
      ],
    },
  });
  await lab.postgres.createRole('loader', { password: loaderPassword });
  await lab.postgres.createDatabase('analytics', { owner: 'loader' });

  for (const { type, format } of keyCases) {
    const key = await generateKey(lab.dir, { type, format });
    keys.set(`${type}-${format}`, key);
  }
  encryptedOpenSsh = await generateKey(lab.dir, { type: 'ed25519', passphrase });
  encryptedPem = await generateKey(lab.dir, { type: 'rsa', format: 'pem', passphrase });
  strangerKey = await generateKey(lab.dir, { type: 'ed25519' });
  pkcs8Key = await generateKey(lab.dir, { type: 'rsa', format: 'pkcs8' });
  for (const key of [...keys.values(), encryptedOpenSsh, encryptedPem]) {
    await lab.sshd.authorize(key.publicKey);
  }

  agent = await startSshAgent(lab.dir);
  const agentKey = await generateKey(lab.dir, { type: 'rsa', passphrase });
  await agent.add(agentKey);
  await lab.sshd.authorize(agentKey.publicKey);
});

afterAll(async () => {
  await agent?.stop();
  await lab?.stop();
});

async function queryThrough(bastion: Bastion, options: { agentSocket?: string } = {}) {
  const pool = new TunnelPool(new Map([[bastion.name, bastion]]), { logger, ...options });
  try {
    const endpoint = lab.endpoint({
      name: 'analytics',
      user: 'loader',
      password: secretOf(loaderPassword),
    });
    const client = await connectDatabase(endpoint, {
      logger,
      tunnels: pool,
      bastion: bastion.name,
    });
    const { rows } = await client.query<{ one: number; user: string; path: string; app: string }>(
      "select 1 as one, current_user as user, current_setting('search_path') as path, current_setting('application_name') as app",
    );
    await client.end();
    return rows[0]!;
  } finally {
    await pool.close();
  }
}

async function failureOf(
  bastion: Bastion,
  options: { agentSocket?: string } = {},
): Promise<TunnelError> {
  const error = await queryThrough(bastion, options).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(TunnelError);
  shownToUser.push(renderErrorForUser(error));
  return error as TunnelError;
}

describe('logging in to the bastion', () => {
  it.each(keyCases)('runs a query through the bastion with $label', async ({ type, format }) => {
    const row = await queryThrough(
      bastionFor(lab.sshd, lab.network.host, keys.get(`${type}-${format}`)!),
    );

    expect(row).toEqual({ one: 1, user: 'loader', path: '', app: 'pgdest' });
  });

  it('runs a query with an encrypted OpenSSH key and its passphrase', async () => {
    const row = await queryThrough(bastionFor(lab.sshd, lab.network.host, encryptedOpenSsh));

    expect(row.user).toBe('loader');
  });

  it('runs a query with an encrypted PEM RSA key and its passphrase', async () => {
    const row = await queryThrough(bastionFor(lab.sshd, lab.network.host, encryptedPem));

    expect(row.user).toBe('loader');
  });

  it('runs a query with an RSA key held by the SSH agent', async () => {
    const row = await queryThrough(bastionFor(lab.sshd, lab.network.host, 'agent'), {
      agentSocket: agent.socketPath,
    });

    expect(row.user).toBe('loader');
  });

  it('signs RSA logins with SHA-2, since this sshd refuses ssh-rsa', async () => {
    const log = await lab.sshd.readLog();

    expect(log).toMatch(/Accepted publickey for root .* RSA SHA256:/);
    expect(log).not.toMatch(
      /userauth_pubkey: signature algorithm ssh-rsa not in PubkeyAcceptedAlgorithms/,
    );
  });
});

describe('a login the bastion refuses', () => {
  it('names the user and the key when the key is not authorized', async () => {
    const error = await failureOf(bastionFor(lab.sshd, lab.network.host, strangerKey));

    expect(error.reason).toBe('authentication-refused');
    expect(error.diagnostic.summary).toBe(
      `Bastion "main" (root@${lab.sshd.hostFor(lab.network.host)}:${lab.sshd.port}) refused SSH authentication as root`,
    );
    expect(error.diagnostic.detail).toContain(
      'did not accept the ED25519 key from env:BASTION_PEM for user root',
    );
    expect(error.diagnostic.hint).toContain('authorized_keys of root');
  });

  it('says the agent offered nothing acceptable when none of its keys is authorized', async () => {
    const dir = join(lab.dir, 'stranger-agent');
    await mkdir(dir);
    const strangerAgent = await startSshAgent(dir);
    try {
      await strangerAgent.add(strangerKey);
      const error = await failureOf(bastionFor(lab.sshd, lab.network.host, 'agent'), {
        agentSocket: strangerAgent.socketPath,
      });

      expect(error.reason).toBe('authentication-refused');
      expect(error.diagnostic.detail).toContain(
        'did not accept the keys in the SSH agent for user root',
      );
      expect(error.diagnostic.hint).toContain('ssh-add -l');
    } finally {
      await strangerAgent.stop();
    }
  });

  it('says there is no agent when agent authentication has no socket', async () => {
    const error = await failureOf(bastionFor(lab.sshd, lab.network.host, 'agent'), {
      agentSocket: '',
    });

    expect(error.reason).toBe('agent-unavailable');
    expect(error.diagnostic.detail).toContain('SSH_AUTH_SOCK is not set');
  });

  it('says the agent cannot be reached when its socket leads nowhere', async () => {
    const error = await failureOf(bastionFor(lab.sshd, lab.network.host, 'agent'), {
      agentSocket: `${lab.dir}/no-agent.sock`,
    });

    expect(error.reason).toBe('agent-unavailable');
    expect(error.diagnostic.detail).toContain(
      `Asking the SSH agent at ${lab.dir}/no-agent.sock for a key failed`,
    );
  });
});

describe('a private key that cannot be used', () => {
  it('asks for the passphrase of an encrypted key configured without one', async () => {
    const key = { ...encryptedOpenSsh, passphrase: undefined };
    const error = await failureOf(bastionFor(lab.sshd, lab.network.host, key));

    expect(error.reason).toBe('key-passphrase-missing');
    expect(error.diagnostic.summary).toBe(
      'The private key of bastion "main" is encrypted and no passphrase is configured',
    );
    expect(error.diagnostic.hint).toContain('passphrase: ${env:NAME}');
  });

  it('says the passphrase is wrong for an encrypted OpenSSH key', async () => {
    const key = { ...encryptedOpenSsh, passphrase: 'canary-wrong-passphrase-11aa' };
    const error = await failureOf(bastionFor(lab.sshd, lab.network.host, key));

    expect(error.reason).toBe('key-passphrase-wrong');
    expect(error.diagnostic.summary).toBe(
      'The passphrase of the private key of bastion "main" is wrong',
    );
    expect(error.diagnostic.detail).toContain('env:BASTION_PEM');
  });

  it('says the passphrase is wrong for an encrypted PEM key', async () => {
    const key = { ...encryptedPem, passphrase: 'canary-wrong-passphrase-22bb' };
    const error = await failureOf(bastionFor(lab.sshd, lab.network.host, key));

    expect(error.reason).toBe('key-passphrase-wrong');
  });

  it('explains how to convert a PKCS#8 key', async () => {
    const error = await failureOf(bastionFor(lab.sshd, lab.network.host, pkcs8Key));

    expect(error.reason).toBe('key-unreadable');
    expect(error.diagnostic.summary).toContain('PKCS#8');
    expect(error.diagnostic.hint).toContain('ssh-keygen -p -m PEM -f KEYFILE');
  });

  it('says so when the public key was given instead of the private one', async () => {
    const key = { ...strangerKey, privateKey: strangerKey.publicKey };
    const error = await failureOf(bastionFor(lab.sshd, lab.network.host, key));

    expect(error.reason).toBe('key-unreadable');
    expect(error.diagnostic.summary).toBe('The private key of bastion "main" is a public key');
  });
});

describe('secrets', () => {
  it('never shows a password, passphrase or private key in an error or a log line', () => {
    const secrets = [
      loaderPassword,
      passphrase,
      'canary-wrong-passphrase-11aa',
      'canary-wrong-passphrase-22bb',
    ];
    for (const key of [...keys.values(), encryptedOpenSsh, encryptedPem, strangerKey, pkcs8Key]) {
      secrets.push(key.privateKey);
    }
    const everything = [...shownToUser, logger.text()].join('\n');

    expect(shownToUser.length).toBeGreaterThanOrEqual(8);
    expect(findSecrets(everything, secrets)).toEqual([]);
  });
});
