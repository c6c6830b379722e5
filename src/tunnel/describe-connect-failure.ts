import type { Bastion } from '../config/model.ts';
import { capitalize, describeBastion, describeEndpoint } from './hop.ts';
import type { Authentication } from './prepare-authentication.ts';
import { createTunnelError, type TunnelError } from './tunnel-error.ts';

/** How far a connection got before it failed, for timeouts and closed connections. */
export type ConnectStage = 'tcp' | 'handshake' | 'authentication';

/** An error as ssh2 and Node's net module report it. */
export interface SshError extends Error {
  /**
   * ssh2's layer: `client-socket`, `client-dns`, `client-timeout`, `protocol`,
   * `handshake`, `client-authentication`.
   */
  level?: string;
  code?: string | number;
}

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

/**
 * Turns an error ssh2 emitted before the connection was ready into a
 * TunnelError that names the hop and says what to try. `auth` says what was
 * offered, such as `the ED25519 key from env:BASTION_PEM`, and which agent.
 */
export function describeConnectFailure(
  bastion: Bastion,
  error: SshError,
  auth: Pick<Authentication, 'description' | 'agent'>,
): TunnelError {
  const hop = describeEndpoint(bastion);
  const who = describeBastion(bastion);
  const code = typeof error.code === 'string' ? error.code : undefined;
  const address = `${bastion.host}:${bastion.port}`;

  if (error.level === 'client-dns' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return createTunnelError(
      'bastion-unreachable',
      `Cannot resolve the address of bastion "${bastion.name}" (${hop})`,
      {
        hop,
        cause: error,
        detail: `The host name ${bastion.host} of ${who} did not resolve (${code ?? error.message}).`,
        hint: `Check host for typos and that this machine can resolve it, for example with getent hosts ${bastion.host}.`,
      },
    );
  }

  if (error.level === 'client-socket' || code !== undefined) {
    return describeSocketFailure(bastion, error, code);
  }

  if (error.level === 'agent') {
    return createTunnelError(
      'agent-unavailable',
      `Cannot use the SSH agent for bastion "${bastion.name}" (${hop})`,
      {
        hop,
        cause: error,
        detail: `Asking the SSH agent at ${auth.agent ?? 'SSH_AUTH_SOCK'} for a key failed: ${error.message}.`,
        hint: 'Check that SSH_AUTH_SOCK points to a running agent that holds the key: ssh-add -l talks to the same agent.',
      },
    );
  }

  if (error.level === 'client-authentication') {
    const viaAgent = bastion.auth.kind === 'agent';
    return createTunnelError(
      'authentication-refused',
      `Bastion "${bastion.name}" (${hop}) refused SSH authentication as ${bastion.user}`,
      {
        hop,
        cause: error,
        detail: `${capitalize(who)} did not accept ${auth.description} for user ${bastion.user}.`,
        hint: viaAgent
          ? `Check that the agent holds the key (ssh-add -l) and that its public key is in the authorized_keys of ${bastion.user} on the bastion.`
          : `Check the user name, and that the key's public half (ssh-keygen -y -f KEYFILE prints it) is in the authorized_keys of ${bastion.user} on the bastion; ssh -v -i KEYFILE -p ${bastion.port} ${bastion.user}@${bastion.host} shows what the server accepts.`,
      },
    );
  }

  if (/lost before handshake/i.test(error.message)) {
    return createTunnelError(
      'bastion-unreachable',
      `Bastion "${bastion.name}" (${hop}) closed the connection before the SSH handshake`,
      {
        hop,
        cause: error,
        detail: `${capitalize(who)} accepted the TCP connection to ${address} and closed it without an SSH greeting. The port may not be an SSH server's, or sshd may be limiting unauthenticated connections (MaxStartups).`,
        hint: `Check that ${address} is the bastion's SSH port, for example with ssh -v -p ${bastion.port} ${bastion.user}@${bastion.host}, and try again.`,
      },
    );
  }

  return createTunnelError(
    'bastion-unreachable',
    `SSH handshake with bastion "${bastion.name}" (${hop}) failed`,
    {
      hop,
      cause: error,
      detail: `The SSH session with ${who} failed before it was ready: ${error.message}.`,
      hint: `Try ssh -v -p ${bastion.port} ${bastion.user}@${bastion.host} to see how OpenSSH fares with the same server.`,
    },
  );
}

function describeSocketFailure(
  bastion: Bastion,
  error: SshError,
  code: string | undefined,
): TunnelError {
  const hop = describeEndpoint(bastion);
  const who = describeBastion(bastion);
  const address = `${bastion.host}:${bastion.port}`;
  switch (code) {
    case 'ECONNREFUSED':
      return createTunnelError(
        'bastion-unreachable',
        `Bastion "${bastion.name}" (${hop}) refused the connection`,
        {
          hop,
          cause: error,
          detail: `Nothing accepted a TCP connection at ${address} for ${who} (ECONNREFUSED): no SSH server listens on that port, or a firewall rejects the connection.`,
          hint: `Check host and port (the default is 22) and that sshd runs on the bastion.`,
        },
      );
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
      return createTunnelError(
        'bastion-unreachable',
        `Bastion "${bastion.name}" (${hop}) is unreachable`,
        {
          hop,
          cause: error,
          detail: `There is no way to ${address} from this machine for ${who} (${code}).`,
          hint: `Check the address, and that this machine is on a network that reaches the bastion (VPN, firewall rules, the bastion's allow-list).`,
        },
      );
    case 'ECONNRESET':
    case 'EPIPE':
      return createTunnelError(
        'bastion-unreachable',
        `Bastion "${bastion.name}" (${hop}) reset the connection`,
        {
          hop,
          cause: error,
          detail: `The connection to ${address} for ${who} was reset (${code}) before the SSH session was ready: sshd may be shedding new connections (MaxStartups), or a firewall or ban list (fail2ban) cuts them.`,
          hint: `Try again; if it persists, look at the bastion's sshd log and at the firewalls between this machine and ${address}.`,
        },
      );
    default:
      return createTunnelError(
        'bastion-unreachable',
        `The connection to bastion "${bastion.name}" (${hop}) failed`,
        {
          hop,
          cause: error,
          detail: `The TCP connection to ${address} for ${who} failed: ${error.message}.`,
          hint: `Check that ${address} is reachable from this machine and try again.`,
        },
      );
  }
}

/**
 * The error for a bastion that did not finish connecting within
 * connect_timeout, saying how far it got.
 */
export function describeConnectTimeout(bastion: Bastion, stage: ConnectStage): TunnelError {
  const hop = describeEndpoint(bastion);
  const limit = seconds(bastion.connectTimeoutMs);
  const address = `${bastion.host}:${bastion.port}`;
  // Through another bastion, that bastion makes the TCP connection.
  const tcp =
    bastion.via === undefined
      ? `No TCP connection to ${address} was established within ${limit}: the address may be firewalled, or the host down.`
      : `Bastion "${bastion.via}" did not open a connection to ${address} within ${limit}: the address may be firewalled from there, or the host down.`;
  const detail = {
    tcp,
    handshake: `The TCP connection to ${address} was accepted, but the SSH handshake did not finish within ${limit}: the server may be overloaded or not an SSH server, or something in between holds the traffic.`,
    authentication: `The SSH handshake with ${address} finished, but authentication as ${bastion.user} did not within ${limit}.`,
  }[stage];
  return createTunnelError(
    'connect-timeout',
    `Timed out connecting to bastion "${bastion.name}" (${hop})`,
    {
      hop,
      detail: `${capitalize(describeBastion(bastion))}: ${detail}`,
      hint:
        bastion.via === undefined
          ? `Check that ssh -v -p ${bastion.port} ${bastion.user}@${bastion.host} connects from this machine; raise connect_timeout if the link is only slow.`
          : `Check that bastion "${bastion.via}" reaches ${address} (from there: nc -vz ${bastion.host} ${bastion.port}); raise connect_timeout if the link is only slow.`,
    },
  );
}

/** The error for a connection that closed before it was ready without ssh2 saying why. */
export function describeEarlyClose(bastion: Bastion, stage: ConnectStage): TunnelError {
  const hop = describeEndpoint(bastion);
  return createTunnelError(
    'connection-lost',
    `Bastion "${bastion.name}" (${hop}) closed the connection during the SSH ${stage === 'authentication' ? 'authentication' : 'handshake'}`,
    {
      hop,
      detail: `${capitalize(describeBastion(bastion))} closed the connection before it was ready, without giving a reason.`,
      hint: `Try ssh -v -p ${bastion.port} ${bastion.user}@${bastion.host}; the bastion's sshd log says why it closed connections.`,
    },
  );
}
