import ssh2 from 'ssh2';
import type { Bastion } from '../config/model.ts';
import { describeKeyType } from './host-key.ts';
import { describeBastion, describeEndpoint } from './hop.ts';
import { createTunnelError } from './tunnel-error.ts';

/** The ssh2 settings that authenticate a bastion's user, and how messages name them. */
export interface Authentication {
  privateKey?: string;
  passphrase?: string;
  agent?: string;
  /** Such as `the ED25519 key from env:BASTION_PEM` or `the keys in the SSH agent`. */
  description: string;
}

/**
 * Reads the bastion's private key before any connection is made, so that a key
 * ssh2 cannot use fails at once with a message about the key rather than as a
 * refused login. Throws a TunnelError for a key that cannot be read or
 * decrypted and for agent authentication without an agent.
 */
export function prepareAuthentication(
  bastion: Bastion,
  agentSocket: string | undefined,
): Authentication {
  const hop = describeEndpoint(bastion);
  const auth = bastion.auth;
  if (auth.kind === 'agent') {
    if (agentSocket === undefined || agentSocket === '') {
      throw createTunnelError('agent-unavailable', `No SSH agent for ${describeBastion(bastion)}`, {
        hop,
        detail: `Bastion "${bastion.name}" authenticates with the SSH agent, but SSH_AUTH_SOCK is not set, so there is no agent to ask for a key.`,
        hint: 'Start an agent and add the key (eval "$(ssh-agent)" and ssh-add KEYFILE), or give the bastion private_key_file or private_key instead of agent.',
      });
    }
    return { agent: agentSocket, description: 'the keys in the SSH agent' };
  }

  const text = auth.privateKey.reveal();
  const passphrase = auth.passphrase?.isAvailable ? auth.passphrase.reveal() : undefined;
  const parsed = ssh2.utils.parseKey(text, passphrase);
  const key = Array.isArray(parsed) ? (parsed[0] as ssh2.ParsedKey | Error) : parsed;
  const origin = auth.privateKey.origin;

  if (key instanceof Error) {
    throw describeUnreadableKey(bastion, hop, key, text, passphrase !== undefined, origin);
  }
  if (!key.isPrivateKey()) {
    throw createTunnelError(
      'key-unreadable',
      `The private key of bastion "${bastion.name}" is a public key`,
      {
        hop,
        detail: `The key read from ${origin} is the public half of an ${describeKeyType(key.type)} key. The bastion needs the private key to log in as ${bastion.user}.`,
        hint: 'Give the private key file (id_ed25519, not id_ed25519.pub), or its text, in private_key_file or private_key.',
      },
    );
  }
  const description = `the ${describeKeyType(key.type)} key from ${origin}`;
  return passphrase === undefined
    ? { privateKey: text, description }
    : { privateKey: text, passphrase, description };
}

function describeUnreadableKey(
  bastion: Bastion,
  hop: string,
  error: Error,
  text: string,
  hasPassphrase: boolean,
  origin: string,
): Error {
  // ssh2's own message names the problem but never the key, so it is safe to
  // keep as the cause; the key text itself must never reach a message.
  const cause = new Error(error.message);

  if (/no passphrase given/i.test(error.message)) {
    return createTunnelError(
      'key-passphrase-missing',
      `The private key of bastion "${bastion.name}" is encrypted and no passphrase is configured`,
      {
        hop,
        cause,
        detail: `The key read from ${origin} is protected by a passphrase, and bastion "${bastion.name}" declares none.`,
        hint: `Add passphrase: \${env:NAME} to bastion "${bastion.name}" with the key's passphrase in that variable, or remove the passphrase from a copy of the key with ssh-keygen -p -f KEYFILE.`,
      },
    );
  }

  if (hasPassphrase && isEncrypted(text)) {
    return createTunnelError(
      'key-passphrase-wrong',
      `The passphrase of the private key of bastion "${bastion.name}" is wrong`,
      {
        hop,
        cause,
        detail: `The passphrase configured for bastion "${bastion.name}" does not decrypt the key read from ${origin}.`,
        hint: 'Check the value the passphrase setting reads; ssh-keygen -y -f KEYFILE asks for the passphrase and prints the public key when it is right.',
      },
    );
  }

  if (/-----BEGIN (ENCRYPTED )?PRIVATE KEY-----/.test(text)) {
    return createTunnelError(
      'key-unreadable',
      `The private key of bastion "${bastion.name}" is in PKCS#8 format, which pgdest cannot read`,
      {
        hop,
        cause,
        detail: `The key read from ${origin} begins with "BEGIN PRIVATE KEY" (PKCS#8). pgdest reads OpenSSH keys ("BEGIN OPENSSH PRIVATE KEY") and PEM RSA or EC keys ("BEGIN RSA PRIVATE KEY", "BEGIN EC PRIVATE KEY").`,
        hint: 'Convert a copy of the key: ssh-keygen -p -f KEYFILE rewrites it in OpenSSH format, ssh-keygen -p -m PEM -f KEYFILE as PEM; then use the converted file.',
      },
    );
  }

  return createTunnelError(
    'key-unreadable',
    `The private key of bastion "${bastion.name}" cannot be read`,
    {
      hop,
      cause,
      detail: `The key read from ${origin} is not a private key format pgdest reads (${error.message}). It reads OpenSSH keys ("BEGIN OPENSSH PRIVATE KEY"), PEM RSA or EC keys and PuTTY PPK files.`,
      hint: 'Check that the setting holds the whole key, including its BEGIN and END lines and line breaks; ssh-keygen -y -f KEYFILE tells whether OpenSSH can read it.',
    },
  );
}

// An OpenSSH key is encrypted unless its cipher is "none"; the base64 body
// holds the cipher name in clear, so "none" appears there when unencrypted.
function isEncrypted(text: string): boolean {
  if (/Proc-Type:\s*4,ENCRYPTED/.test(text) || text.includes('BEGIN ENCRYPTED PRIVATE KEY')) {
    return true;
  }
  const body = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END/.exec(text)?.[1];
  if (body === undefined) return false;
  const decoded = Buffer.from(body.replace(/\s+/g, ''), 'base64');
  return !decoded.subarray(0, 64).includes('none');
}
