import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from './run-command.ts';

export type KeyType = 'ed25519' | 'ecdsa' | 'rsa';

/**
 * How the private key file is written: `openssh` (BEGIN OPENSSH PRIVATE KEY,
 * ssh-keygen's default), `pem` (BEGIN RSA/EC PRIVATE KEY, the "Server PEM
 * Key" users paste) or `pkcs8` (BEGIN PRIVATE KEY, which ssh2 cannot read).
 */
export type KeyFormat = 'openssh' | 'pem' | 'pkcs8';

/** A key pair made by ssh-keygen. */
export interface SshKey {
  type: KeyType;
  format: KeyFormat;
  /** The private key file. */
  path: string;
  /** The private key file's text. */
  privateKey: string;
  /** The public key line, for authorized_keys or known_hosts. */
  publicKey: string;
  /** `SHA256:...` as `ssh-keygen -lf` prints it. */
  fingerprint: string;
  passphrase: string | undefined;
}

export interface GenerateKeyOptions {
  type: KeyType;
  format?: KeyFormat;
  /** Encrypt the private key with this passphrase. */
  passphrase?: string;
  /** The file name inside `dir`; default from type, format and a counter. */
  name?: string;
}

let counter = 0;

/**
 * Generates a key pair with ssh-keygen in `dir`. RSA keys are 2048 bits and
 * ECDSA keys P-256, to keep tests fast. ed25519 keys exist only in OpenSSH
 * format, so `format` must be `openssh` for them.
 */
export async function generateKey(dir: string, options: GenerateKeyOptions): Promise<SshKey> {
  const format = options.format ?? 'openssh';
  if (options.type === 'ed25519' && format !== 'openssh') {
    throw new Error('ed25519 keys exist only in OpenSSH format');
  }
  const path = join(dir, options.name ?? `${options.type}-${format}-${++counter}`);
  const bits = { ed25519: [], ecdsa: ['-b', '256'], rsa: ['-b', '2048'] }[options.type];
  const formatFlag = { openssh: [], pem: ['-m', 'PEM'], pkcs8: ['-m', 'PKCS8'] }[format];
  const comment = `pgdest-test-${options.type}`;
  const args = ['-q', '-t', options.type, ...bits, ...formatFlag, '-N', options.passphrase ?? ''];
  await runCommand('ssh-keygen', [...args, '-C', comment, '-f', path]);
  return {
    type: options.type,
    format,
    path,
    privateKey: await readFile(path, 'utf8'),
    publicKey: (await readFile(`${path}.pub`, 'utf8')).trim(),
    fingerprint: await fingerprintOfFile(`${path}.pub`),
    passphrase: options.passphrase,
  };
}

/** The `SHA256:` fingerprint of a public key file, as ssh-keygen computes it. */
export async function fingerprintOfFile(publicKeyPath: string): Promise<string> {
  const { stdout } = await runCommand('ssh-keygen', ['-l', '-E', 'sha256', '-f', publicKeyPath]);
  const fingerprint = stdout.split(/\s+/)[1];
  if (fingerprint === undefined || !fingerprint.startsWith('SHA256:')) {
    throw new Error(`unexpected ssh-keygen output: ${stdout}`);
  }
  return fingerprint;
}
