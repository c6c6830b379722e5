import type { Bastion } from '../config/model.ts';

/** One SSH connection of a chain, as `check` prints it. */
export interface Hop {
  /** The bastion's name in the configuration. */
  bastion: string;
  /** `user@host:port`. */
  endpoint: string;
  /** The bastion this hop was reached through, when it has `via`. */
  through: string | undefined;
  /** From the start of this hop's TCP connection (or forwarded channel) to authentication. */
  connectedMs: number;
  /** The `SHA256:` fingerprint of the host key the bastion presented. */
  hostKey: string;
}

/** `user@host:port`, with IPv6 addresses in brackets. */
export function describeEndpoint(bastion: Pick<Bastion, 'user' | 'host' | 'port'>): string {
  const host = bastion.host.includes(':') ? `[${bastion.host}]` : bastion.host;
  return `${bastion.user}@${host}:${bastion.port}`;
}

/**
 * How messages name a bastion: `bastion "main" (tunnel@bastion.example.com:22)`,
 * and for a hop reached through another bastion, which one.
 */
export function describeBastion(
  bastion: Pick<Bastion, 'name' | 'user' | 'host' | 'port' | 'via'>,
): string {
  const through = bastion.via === undefined ? '' : `, reached through bastion "${bastion.via}"`;
  return `bastion "${bastion.name}" (${describeEndpoint(bastion)}${through})`;
}

/** The text with its first letter in upper case, for a description that starts a sentence. */
export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
