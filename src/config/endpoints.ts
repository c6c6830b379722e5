import type { Bastion, DatabaseEndpoint } from './model.ts';

/** A host as OpenSSH writes it beside a port: an IPv6 address in brackets. */
export function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** `user@host:port`, as plans, state and messages show a bastion. */
export function formatBastionEndpoint(bastion: Pick<Bastion, 'user' | 'host' | 'port'>): string {
  return `${bastion.user}@${formatHost(bastion.host)}:${bastion.port}`;
}

/** `host:port/database`, as plans show a database. */
export function formatDatabaseEndpoint(
  database: Pick<DatabaseEndpoint, 'host' | 'port' | 'name'>,
): string {
  return `${formatHost(database.host)}:${database.port}/${database.name}`;
}
