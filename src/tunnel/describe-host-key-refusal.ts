import type { Bastion } from '../config/model.ts';
import { describeKeyType, type HostKey } from './host-key.ts';
import { capitalize, describeBastion, describeEndpoint } from './hop.ts';
import type { ExpectedKey, HostKeyProblem } from './judge-host-key.ts';
import { knownHostsName } from './known-hosts.ts';
import { createTunnelError, type TunnelError } from './tunnel-error.ts';

/** What the host key check saw, for the message that refuses the key. */
export interface HostKeyRefusal {
  problem: HostKeyProblem;
  presented: HostKey;
  /**
   * The bastion's other host keys, presented when asked for them after the
   * first did not match the pin.
   */
  alsoPresented?: readonly HostKey[];
  expected: ExpectedKey[];
  /** The known_hosts file that was consulted, when one was. */
  knownHostsFile: string | undefined;
}

/**
 * The error for a host key that the check refused; it names both fingerprints
 * and how to pin the right one.
 */
export function describeHostKeyRefusal(bastion: Bastion, refusal: HostKeyRefusal): TunnelError {
  const hop = describeEndpoint(bastion);
  const { presented } = refusal;
  const shown = `${describeKeyType(presented.type)} host key ${presented.fingerprint}`;
  const scan = `ssh-keyscan -p ${bastion.port} ${bastion.host}`;

  if (refusal.problem === 'revoked') {
    return createTunnelError(
      'host-key-revoked',
      `Host key of bastion "${bastion.name}" is revoked`,
      {
        hop,
        detail: `${capitalize(describeBastion(bastion))} presented the ${shown}, which known_hosts marks @revoked. pgdest never connects to a server presenting a revoked key.`,
        hint: `Ask the bastion's administrator for its current host key and pin that one with host_key; keep the @revoked line.`,
      },
    );
  }

  if (refusal.problem === 'changed') {
    const expected = refusal.expected.map((key) => `${key.fingerprint} (${key.origin})`).join(', ');
    const fromPin = refusal.expected.some((key) => key.origin === 'host_key');
    const others = refusal.alsoPresented ?? [];
    const asked =
      others.length === 0
        ? ''
        : `; asked for its other host keys, it presented ${listKeys(others)}`;
    const fix = fromPin
      ? `set host_key: ${presented.fingerprint} on bastion "${bastion.name}"`
      : `remove the old line with ssh-keygen -R "${knownHostsName(bastion.host, bastion.port)}" -f ${refusal.knownHostsFile ?? '~/.ssh/known_hosts'} and add the new key`;
    return createTunnelError(
      'host-key-changed',
      `Host key of bastion "${bastion.name}" has changed`,
      {
        hop,
        detail: `${capitalize(describeBastion(bastion))} presented the ${shown}${asked}. The configuration expects ${expected}. Someone may be intercepting the connection, or the bastion's key was replaced; pgdest did not connect.`,
        hint: `Ask the bastion's administrator whether its host key changed. Only if it did, ${fix}.`,
      },
    );
  }

  const file = refusal.knownHostsFile ?? '~/.ssh/known_hosts';
  const otherTypes = refusal.expected.map((key) => describeKeyType(key.type));
  const known =
    otherTypes.length > 0
      ? ` ${file} holds only ${[...new Set(otherTypes)].join(' and ')} keys for "${knownHostsName(bastion.host, bastion.port)}".`
      : ` Neither host_key nor ${file} has a key for "${knownHostsName(bastion.host, bastion.port)}".`;
  return createTunnelError(
    'host-key-unknown',
    `Host key of bastion "${bastion.name}" is not known`,
    {
      hop,
      detail: `${capitalize(describeBastion(bastion))} presented the ${shown}.${known} With host_key_check: ${bastion.hostKeyCheck} an unknown key is refused.`,
      hint: `If ${presented.fingerprint} is your bastion's key (ask its administrator, or compare with ssh-keygen -lf on the bastion), pin it with host_key: ${presented.fingerprint}, or add it to known_hosts with ${scan} >> ${file}, or set host_key_check: accept-new to record it on first use.`,
    },
  );
}

// "the ECDSA host key SHA256:a and the RSA host key SHA256:b"
function listKeys(keys: readonly HostKey[]): string {
  const shown = keys.map((key) => `the ${describeKeyType(key.type)} host key ${key.fingerprint}`);
  return shown.length === 1
    ? shown[0]!
    : `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
}
