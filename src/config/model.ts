import type { SourceRange } from '../diagnostics/diagnostic.ts';
import type { Secret } from './secret.ts';

/*
 * The desired state: the configuration after loading, with defaults applied,
 * durations in milliseconds, paths absolute and secrets wrapped. The raw shape
 * the YAML holds is in schema-types.ts, generated from the JSON Schema.
 */

export type HostKeyCheck = 'strict' | 'accept-new' | 'off';
export type SslMode = 'disable' | 'prefer' | 'require' | 'verify-full';
export type Privilege = 'CREATE' | 'ALTER' | 'INSERT' | 'SELECT' | 'DELETE' | 'DROP';
export type SchemaFallback = 'public' | 'none';
export type OnDelete = 'forget' | 'drop';

export const allPrivileges: readonly Privilege[] = [
  'CREATE',
  'ALTER',
  'INSERT',
  'SELECT',
  'DELETE',
  'DROP',
];

/** How a bastion authenticates the SSH user. */
export type BastionAuth =
  { kind: 'key'; privateKey: Secret; passphrase?: Secret } | { kind: 'agent'; passphrase?: Secret };

export interface Bastion {
  name: string;
  host: string;
  port: number;
  user: string;
  auth: BastionAuth;
  /** A pinned `SHA256:` fingerprint. */
  hostKey?: string;
  /** An absolute path to an OpenSSH known_hosts file, when one was named. */
  knownHosts?: string;
  hostKeyCheck: HostKeyCheck;
  /** The name of the bastion to reach this one through. */
  via?: string;
  connectTimeoutMs: number;
  /** Zero turns keepalives off. */
  keepaliveIntervalMs: number;
  source: SourceRange;
}

/** How to reach and log into one PostgreSQL database. */
export interface DatabaseEndpoint {
  host: string;
  port: number;
  name: string;
  user: string;
  password?: Secret;
  ssl: SslMode;
  /** An absolute path to a PEM file of certificate authorities. */
  sslRootCert?: string;
}

export interface AdminLogin {
  user: string;
  password?: Secret;
}

export interface Destination {
  name: string;
  /** `destination.NAME`, as plans and diagnostics address it. */
  address: string;
  bastion?: string;
  database: DatabaseEndpoint;
  schema: string;
  schemaFallback: SchemaFallback;
  privileges: Privilege[];
  admin?: AdminLogin;
  onDelete: OnDelete;
  source: SourceRange;
}

export type StateSettings =
  | { backend: 'local'; path: string }
  | {
      backend: 'postgres';
      bastion?: string;
      database: DatabaseEndpoint;
      schema: string;
      key: string;
    };

export interface Config {
  bastions: Map<string, Bastion>;
  destinations: Map<string, Destination>;
  state: StateSettings;
  /** The files the configuration was read from, absolute. */
  files: string[];
  /** The folder that relative paths were resolved against. */
  baseDir: string;
  /** A SHA-256 of the configuration's meaning, secrets excluded; saved plans carry it. */
  digest: string;
}
