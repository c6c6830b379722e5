import type { HostKeyCheck } from '../config/model.ts';
import { fingerprintOf, isSameFingerprint, type HostKey } from './host-key.ts';
import { matchesHost, type KnownHost } from './known-hosts.ts';

/** What the bastion's configuration says about the keys it may present. */
export interface HostKeyPolicy {
  host: string;
  port: number;
  /** A pinned `SHA256:` fingerprint. */
  pin: string | undefined;
  /** Every line of the known_hosts file in force, for any host. */
  knownHosts: readonly KnownHost[];
  /** The known_hosts file the lines came from, for messages. */
  knownHostsFile: string | undefined;
  check: HostKeyCheck;
}

/** A key the configuration expected instead of the presented one. */
export interface ExpectedKey {
  type: string;
  fingerprint: string;
  /** Where it was declared: `host_key` or `FILE:LINE`. */
  origin: string;
}

export type HostKeyProblem = 'unknown' | 'changed' | 'revoked';

/** The decision on a presented host key. */
export type HostKeyVerdict =
  | { kind: 'trusted'; by: 'pin' | 'known-hosts' }
  /** accept-new met a host it has no key for: connect and record the key. */
  | { kind: 'learn' }
  /** host_key_check is off: connect, and warn about what a check would have said. */
  | {
      kind: 'unchecked';
      problem: Exclude<HostKeyProblem, 'revoked'> | undefined;
      expected: ExpectedKey[];
    }
  | { kind: 'refused'; problem: HostKeyProblem; expected: ExpectedKey[] };

/**
 * Decides whether to trust the key a bastion presented, the way OpenSSH's
 * StrictHostKeyChecking does, with a pin that outranks known_hosts:
 * a revoked key is always refused; a pin decides alone when given; otherwise a
 * known_hosts line with the same key trusts it, one with another key of the
 * same type means the key changed, and no line of that type means unknown.
 * `@cert-authority` lines are ignored: pgdest does not accept host
 * certificates, so such a line can neither trust nor refuse a plain key.
 */
export function judgeHostKey(presented: HostKey, policy: HostKeyPolicy): HostKeyVerdict {
  if (isRevoked(presented, policy.knownHosts)) {
    return { kind: 'refused', problem: 'revoked', expected: [] };
  }

  const { problem, expected, by } = compareWithExpectations(presented, policy);
  if (problem === undefined) return { kind: 'trusted', by: by! };
  if (policy.check === 'off') return { kind: 'unchecked', problem, expected };
  if (problem === 'unknown' && policy.check === 'accept-new') return { kind: 'learn' };
  return { kind: 'refused', problem, expected };
}

/** The key types known_hosts holds for a host, so the handshake can ask for one of them first. */
export function knownKeyTypes(
  policy: Pick<HostKeyPolicy, 'host' | 'port' | 'knownHosts'>,
): string[] {
  const types = policy.knownHosts
    .filter((entry) => entry.marker === undefined && matchesHost(entry, policy.host, policy.port))
    .map((entry) => entry.type);
  return [...new Set(types)];
}

// A @revoked line refuses its key for every host, whatever its host field says.
function isRevoked(presented: HostKey, knownHosts: readonly KnownHost[]): boolean {
  return knownHosts.some(
    (entry) => entry.marker === 'revoked' && entry.base64 === presented.base64,
  );
}

function compareWithExpectations(
  presented: HostKey,
  policy: HostKeyPolicy,
): {
  problem: Exclude<HostKeyProblem, 'revoked'> | undefined;
  expected: ExpectedKey[];
  by?: 'pin' | 'known-hosts';
} {
  if (policy.pin !== undefined) {
    if (isSameFingerprint(policy.pin, presented.fingerprint)) {
      return { problem: undefined, expected: [], by: 'pin' };
    }
    return {
      problem: 'changed',
      expected: [{ type: presented.type, fingerprint: policy.pin, origin: 'host_key' }],
    };
  }

  const lines = policy.knownHosts.filter(
    (entry) => entry.marker === undefined && matchesHost(entry, policy.host, policy.port),
  );
  if (lines.some((entry) => entry.type === presented.type && entry.base64 === presented.base64)) {
    return { problem: undefined, expected: [], by: 'known-hosts' };
  }
  const expected = lines.map((entry) => ({
    type: entry.type,
    fingerprint: fingerprintOf(Buffer.from(entry.base64, 'base64')),
    origin: `${policy.knownHostsFile ?? 'known_hosts'}:${entry.line}`,
  }));
  const sameType = expected.filter((key) => key.type === presented.type);
  if (sameType.length > 0) return { problem: 'changed', expected: sameType };
  return { problem: 'unknown', expected };
}
