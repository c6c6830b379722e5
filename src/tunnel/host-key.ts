import { createHash } from 'node:crypto';

/** A host key as the server presented it during the SSH handshake. */
export interface HostKey {
  /** The key's algorithm name as known_hosts writes it, such as `ssh-ed25519`. */
  type: string;
  /** The public key blob in base64, the second field of a known_hosts line. */
  base64: string;
  /** `SHA256:` and the unpadded base64 digest, as `ssh-keygen -lf` prints it. */
  fingerprint: string;
}

/** Reads a host key from the SSH wire blob that ssh2 hands to `hostVerifier`. */
export function readHostKey(blob: Buffer): HostKey {
  return {
    type: readKeyType(blob),
    base64: blob.toString('base64'),
    fingerprint: fingerprintOf(blob),
  };
}

/** The OpenSSH SHA256 fingerprint of a public key blob. */
export function fingerprintOf(blob: Buffer): string {
  const digest = createHash('sha256').update(blob).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}

/**
 * Whether two fingerprints name the same key. Users paste fingerprints with or
 * without the base64 padding, so both sides are compared without it.
 */
export function isSameFingerprint(a: string, b: string): boolean {
  return a.trim().replace(/=+$/, '') === b.trim().replace(/=+$/, '');
}

/** A short name for a key type, as users see it in ssh-keygen output: `ED25519`, `RSA`, `ECDSA`. */
export function describeKeyType(type: string): string {
  if (type === 'ssh-ed25519') return 'ED25519';
  if (type === 'ssh-rsa') return 'RSA';
  if (type.startsWith('ecdsa-')) return 'ECDSA';
  return type;
}

/**
 * The host key algorithms ssh2 1.x can verify, in the order its client asks
 * for them by default; ssh2 throws on any other name.
 */
export const hostKeyAlgorithms: readonly string[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/**
 * The host key algorithms ssh2 may negotiate for a key of this type, best
 * first; none for types it cannot verify (security keys, DSA), which a
 * known_hosts file may still hold.
 */
export function algorithmsForKeyType(type: string): string[] {
  const algorithms = type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type];
  return algorithms.filter((algorithm) => hostKeyAlgorithms.includes(algorithm));
}

// The blob starts with the key type as an SSH string: a 32-bit length, then
// that many bytes.
function readKeyType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const length = blob.readUInt32BE(0);
  if (length > blob.length - 4 || length > 64) return 'unknown';
  return blob.subarray(4, 4 + length).toString('latin1');
}
