import type { Bastion } from '../config/model.ts';
import type { Logger } from '../diagnostics/logger.ts';
import { describeHostKeyRefusal } from './describe-host-key-refusal.ts';
import {
  algorithmsForKeyType,
  describeKeyType,
  hostKeyAlgorithms,
  readHostKey,
  type HostKey,
} from './host-key.ts';
import { describeBastion, describeEndpoint } from './hop.ts';
import { judgeHostKey, knownKeyTypes, type HostKeyPolicy } from './judge-host-key.ts';
import { formatKnownHost } from './known-hosts.ts';
import { appendKnownHost, defaultKnownHostsFile, readKnownHostsFile } from './known-hosts-file.ts';
import { createTunnelError, type TunnelError } from './tunnel-error.ts';

/** What the check found, filled in during the handshake. */
export interface HostKeyOutcome {
  presented?: HostKey;
  /** Set when the key was refused; the connection fails with this error. */
  refusal?: TunnelError;
  /**
   * Set when the key was refused only because it is not the pinned one. The
   * bastion may hold another key that is: it presents one key per handshake,
   * of the first algorithm in our list that it also has.
   */
  pinMismatch?: boolean;
}

/**
 * Reads what the bastion's configuration expects: the pin, and the named
 * known_hosts file or, with neither a pin nor a file, ~/.ssh/known_hosts.
 * A known_hosts file is read even beside a pin, for its @revoked lines.
 */
export async function loadHostKeyPolicy(bastion: Bastion, homeDir: string): Promise<HostKeyPolicy> {
  const file =
    bastion.knownHosts ??
    (bastion.hostKey === undefined ? defaultKnownHostsFile(homeDir) : undefined);
  const knownHosts =
    file === undefined
      ? []
      : await readKnownHostsFile(file).catch((error: unknown) => {
          throw createTunnelError(
            'known-hosts-unreadable',
            `Cannot read the known_hosts file of bastion "${bastion.name}"`,
            {
              hop: describeEndpoint(bastion),
              cause: error,
              detail: `Reading ${file} failed: ${(error as Error).message}. Without it the bastion's host key cannot be checked, so pgdest does not connect.`,
              hint: `Make ${file} readable, name another file with known_hosts, or pin the key with host_key.`,
            },
          );
        });
  return {
    host: bastion.host,
    port: bastion.port,
    pin: bastion.hostKey,
    knownHosts,
    knownHostsFile: file,
    check: bastion.hostKeyCheck,
  };
}

/**
 * The host key algorithms to ask for first: those of the keys known_hosts
 * holds for this host, so that a server with several host keys presents one we
 * can check instead of an unknown one. ssh2 only prepends algorithms missing
 * from its list, so they are removed first.
 */
export function preferredHostKeyAlgorithms(policy: HostKeyPolicy): string[] {
  if (policy.pin !== undefined) return [];
  return knownKeyTypes(policy).flatMap(algorithmsForKeyType);
}

/**
 * The host key algorithms to ask for once the keys in `seen` were presented
 * and none matched the pin: every one ssh2 can verify but those of the seen
 * keys' types, in ssh2's order. An RSA key serves all three RSA algorithms,
 * so one RSA key rules them all out.
 */
export function remainingHostKeyAlgorithms(seen: readonly HostKey[]): string[] {
  const excluded = new Set(seen.flatMap((key) => algorithmsForKeyType(key.type)));
  return hostKeyAlgorithms.filter((algorithm) => !excluded.has(algorithm));
}

/**
 * The `hostVerifier` for ssh2: judges the presented key, records it in
 * known_hosts under accept-new, warns under off, and leaves the refusal in
 * `outcome` so that the connection's failure can say exactly why.
 */
export function createHostVerifier(
  bastion: Bastion,
  policy: HostKeyPolicy,
  logger: Logger,
  outcome: HostKeyOutcome,
): (blob: Buffer, verify: (accepted: boolean) => void) => void {
  return (blob, verify) => {
    const presented = readHostKey(blob);
    outcome.presented = presented;
    const verdict = judgeHostKey(presented, policy);
    const shown = `${describeKeyType(presented.type)} key ${presented.fingerprint}`;

    switch (verdict.kind) {
      case 'trusted':
        verify(true);
        return;
      case 'unchecked': {
        const finding =
          verdict.problem === undefined ? '' : ` (a check would have found it ${verdict.problem})`;
        logger.warn(
          'tunnel',
          `host key of ${describeBastion(bastion)} not checked because host_key_check is off: it presented the ${shown}${finding}`,
        );
        verify(true);
        return;
      }
      case 'learn': {
        const file = policy.knownHostsFile!;
        appendKnownHost(
          file,
          formatKnownHost(bastion.host, bastion.port, presented.type, presented.base64),
        ).then(
          () => {
            logger.warn(
              'tunnel',
              `added the ${shown} of ${describeBastion(bastion)} to ${file} (host_key_check: accept-new)`,
            );
            verify(true);
          },
          (error: unknown) => {
            outcome.refusal = createTunnelError(
              'host-key-unknown',
              `Cannot record the host key of bastion "${bastion.name}"`,
              {
                hop: describeEndpoint(bastion),
                cause: error,
                detail: `host_key_check: accept-new would add the ${shown} to ${file}, but writing the file failed: ${(error as Error).message}.`,
                hint: `Make ${file} writable, or pin the key with host_key: ${presented.fingerprint}.`,
              },
            );
            verify(false);
          },
        );
        return;
      }
      case 'refused':
        // A pin outranks known_hosts, so "changed" under a pin means the pin.
        outcome.pinMismatch = verdict.problem === 'changed' && policy.pin !== undefined;
        outcome.refusal = describeHostKeyRefusal(bastion, {
          problem: verdict.problem,
          presented,
          expected: verdict.expected,
          knownHostsFile: policy.knownHostsFile,
        });
        verify(false);
        return;
    }
  };
}
