import type ssh2 from 'ssh2';
import type { Bastion } from '../config/model.ts';
import { capitalize, describeBastion, describeEndpoint } from './hop.ts';
import { createTunnelError, type TunnelError } from './tunnel-error.ts';

/** Where a forwarded channel goes, and how messages name it. */
export interface ChannelTarget {
  host: string;
  port: number;
  /** Such as `the database at 10.0.1.5:5432` or `bastion "inner" at 10.0.2.7:22`. */
  label: string;
  /** A bastion reached through another one (`via`), rather than a database. */
  isBastion?: boolean;
}

// RFC 4254 channel open failure reason codes.
const administrativelyProhibited = 1;
const connectFailed = 2;

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

/**
 * Opens a direct-tcpip channel through an authenticated connection. ssh2's
 * forwardOut has no timeout, and a bastion whose connection attempt gets no
 * answer (a firewall dropping it) leaves the request pending for minutes, so
 * the open fails after `timeoutMs`; a channel that opens after that is closed.
 */
export function openForwardedChannel(
  client: ssh2.Client,
  bastion: Bastion,
  target: ChannelTarget,
  timeoutMs: number,
): Promise<ssh2.ClientChannel> {
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      reject(describeChannelTimeout(bastion, target, timeoutMs));
    }, timeoutMs);

    const onOpen = (error: Error | undefined, channel: ssh2.ClientChannel): void => {
      if (timedOut) {
        channel?.close();
        return;
      }
      clearTimeout(timer);
      if (error) reject(describeChannelFailure(bastion, target, error));
      else resolve(channel);
    };

    // The originator address is informational; sshd logs it. There is no
    // local port, so none is claimed.
    try {
      client.forwardOut('127.0.0.1', 0, target.host, target.port, onOpen);
    } catch (error) {
      clearTimeout(timer);
      reject(describeChannelFailure(bastion, target, error as Error));
    }
  });
}

/** The error for a channel open that the bastion refused or could not complete. */
export function describeChannelFailure(
  bastion: Bastion,
  target: ChannelTarget,
  error: Error,
): TunnelError {
  const hop = describeEndpoint(bastion);
  const reason = (error as Error & { reason?: number }).reason;
  const said = error.message.replace(/^\(SSH\) Channel open failure: /, '');
  const address = `${target.host}:${target.port}`;

  if (reason === administrativelyProhibited) {
    return createTunnelError(
      'forwarding-refused',
      `Bastion "${bastion.name}" (${hop}) does not allow forwarding to ${address}`,
      {
        hop,
        cause: error,
        detail: `${capitalize(describeBastion(bastion))} refused to open a channel to ${target.label}: administratively prohibited${quoteUnlike(said, 'administratively prohibited')}. Its sshd forbids TCP forwarding for ${bastion.user} (AllowTcpForwarding no) or only permits other destinations (PermitOpen).`,
        hint: `Ask the bastion's administrator to allow TCP forwarding for ${bastion.user} to ${address} (AllowTcpForwarding local or yes in sshd_config, and ${address} in PermitOpen when that is set).`,
      },
    );
  }

  if (reason === connectFailed) {
    return createTunnelError(
      target.isBastion ? 'bastion-unreachable' : 'database-unreachable',
      `Bastion "${bastion.name}" (${hop}) cannot reach ${target.label}`,
      {
        hop,
        cause: error,
        detail: `${capitalize(describeBastion(bastion))} accepted the forwarding request, but its own connection to ${address} failed: connect failed${quoteUnlike(said, 'connect failed')}. The address is used as the bastion sees it.`,
        hint: `Check host and port as seen from the bastion (from there: nc -vz ${target.host} ${target.port}), that the server listens on that address, and that no firewall between the bastion and it rejects the connection.`,
      },
    );
  }

  return createTunnelError(
    'connection-lost',
    `Cannot open a channel to ${address} through bastion "${bastion.name}" (${hop})`,
    {
      hop,
      cause: error,
      detail: `Opening a forwarded channel to ${target.label} through ${describeBastion(bastion)} failed: ${said}. The SSH connection may have been closed.`,
      hint: 'Try again; if it keeps failing, check the bastion with ssh -v and look at its sshd log.',
    },
  );
}

// The server's own words, when they add something to the reason code's name.
function quoteUnlike(said: string, reasonName: string): string {
  return said === '' || said === reasonName ? '' : ` ("${said}")`;
}

function describeChannelTimeout(
  bastion: Bastion,
  target: ChannelTarget,
  timeoutMs: number,
): TunnelError {
  const hop = describeEndpoint(bastion);
  const address = `${target.host}:${target.port}`;
  return createTunnelError(
    'channel-timeout',
    `Timed out opening a channel to ${address} through bastion "${bastion.name}" (${hop})`,
    {
      hop,
      detail: `${capitalize(describeBastion(bastion))} did not answer the request to forward to ${target.label} within ${seconds(timeoutMs)}. That usually means the bastion's connection attempt gets no answer: a firewall drops it, or nothing has that address.`,
      hint: `Check that ${address} is the address as the bastion sees it, and that firewalls or security groups let the bastion reach it.`,
    },
  );
}
