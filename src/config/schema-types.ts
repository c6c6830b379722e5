/* The raw configuration as the YAML holds it, generated from
 * schemas/pgdest.schema.json by `npm run generate:types`. Do not edit. */

/**
 * The bastion's SSH port (Server port).
 */
export type Port = number;
/**
 * The private key as text (Server PEM Key): PEM RSA, or OpenSSH format (ed25519, ECDSA, RSA), encrypted or not. A secret: write `${env:NAME}` or `${file:PATH}`.
 */
export type Secret = string;
/**
 * The passphrase of an encrypted private key. A secret: write `${env:NAME}` or `${file:PATH}`.
 */
export type Secret1 = string;
/**
 * A name: a lowercase letter, then up to 62 lowercase letters, digits, `_` or `-`.
 */
export type Name = string;
/**
 * How long connecting may take, TCP, handshake and authentication together.
 */
export type Duration = string;
/**
 * How often to send a keepalive to the bastion; three missed replies end the connection. `0s` turns keepalives off.
 */
export type Duration1 = string;
/**
 * A name: a lowercase letter, then up to 62 lowercase letters, digits, `_` or `-`.
 */
export type Name1 = string;
/**
 * The database's port (Database port).
 */
export type Port1 = number;
/**
 * The login's password (Database Password). A secret: write `${env:NAME}` or `${file:PATH}`.
 */
export type Secret2 = string;
/**
 * Something the loader must be able to do in its schema.
 */
export type Privilege = 'CREATE' | 'ALTER' | 'INSERT' | 'SELECT' | 'DELETE' | 'DROP';
/**
 * The admin login's password. A secret: write `${env:NAME}` or `${file:PATH}`.
 */
export type Secret3 = string;
/**
 * A name: a lowercase letter, then up to 62 lowercase letters, digits, `_` or `-`.
 */
export type Name2 = string;
/**
 * A name: a lowercase letter, then up to 62 lowercase letters, digits, `_` or `-`.
 */
export type Name3 = string;

/**
 * A pgdest configuration: the SSH bastions, the PostgreSQL destinations that data pipelines write into, and where pgdest keeps its state.
 */
export interface PgdestConfig {
  /**
   * The version of the configuration format. Always 1.
   */
  version: 1;
  /**
   * SSH servers that forward connections to databases, by name. A destination names its bastion with `bastion:`.
   */
  bastions?: {
    [k: string]: Bastion;
  };
  /**
   * The PostgreSQL databases that pipelines write into, by name. Each is addressed `destination.NAME` in plans.
   */
  destinations?: {
    [k: string]: Destination;
  };
  state?: StateSettings;
}
/**
 * An SSH server that forwards connections to databases. Authenticate with exactly one of private_key, private_key_file or agent: true.
 */
export interface Bastion {
  /**
   * The bastion's address (Server Address): a host name or an IP address.
   */
  host: string;
  port?: Port;
  /**
   * The SSH user on the bastion (Server user).
   */
  user: string;
  private_key?: Secret;
  /**
   * The path of the private key file, relative to the config file; `~` is the home folder.
   */
  private_key_file?: string;
  /**
   * Authenticate with the keys of the running ssh-agent (SSH_AUTH_SOCK).
   */
  agent?: boolean;
  passphrase?: Secret1;
  /**
   * The pinned host key fingerprint, as `ssh-keygen -lf` prints it: `SHA256:` and 43 base64 characters.
   */
  host_key?: string;
  /**
   * An OpenSSH known_hosts file to check the host key against (hashed lines, `[host]:port` entries and `@revoked` markers included). With accept-new, unknown keys are recorded here. Relative to the config file; `~` is the home folder.
   */
  known_hosts?: string;
  /**
   * How the host key is checked: `strict` refuses an unknown or changed key; `accept-new` records an unknown key and refuses a changed one; `off` accepts any key, with a warning every time.
   */
  host_key_check?: 'strict' | 'accept-new' | 'off';
  via?: Name;
  connect_timeout?: Duration;
  keepalive_interval?: Duration1;
}
/**
 * A PostgreSQL database that a pipeline writes into, and the schema it writes into.
 */
export interface Destination {
  bastion?: Name1;
  database: Database;
  /**
   * The schema the loader writes into. At most 63 bytes.
   */
  schema?: string;
  /**
   * What happens when the schema cannot be created: `public` uses the public schema instead (the documented behaviour); `none` makes it an error.
   */
  schema_fallback?: 'public' | 'none';
  /**
   * What the loader must be able to do in its schema. The default is all six.
   *
   * @minItems 1
   */
  privileges?: [Privilege, ...Privilege[]];
  admin?: Admin;
  /**
   * What removing the destination from the config does: `forget` drops it from state and keeps the schema; `drop` runs DROP SCHEMA ... CASCADE.
   */
  on_delete?: 'forget' | 'drop';
}
/**
 * How to reach and log into the database, as the loader.
 */
export interface Database {
  /**
   * The database's address (Database address), as the bastion sees it.
   */
  host: string;
  port?: Port1;
  /**
   * The database to connect to (Database). At most 63 bytes.
   */
  name: string;
  /**
   * The login to connect as (Database User). At most 63 bytes.
   */
  user: string;
  password?: Secret2;
  /**
   * TLS to the database: `disable`, `prefer` (TLS when the server offers it), `require` (TLS, certificate not checked) or `verify-full` (TLS, certificate and host name checked).
   */
  ssl?: 'disable' | 'prefer' | 'require' | 'verify-full';
  /**
   * A PEM file of certificate authorities to trust for `verify-full`, relative to the config file. Without it, Node.js's own list is used.
   */
  ssl_root_cert?: string;
}
/**
 * An optional login that may create the loader's role and grant it what it lacks.
 */
export interface Admin {
  /**
   * The admin login, such as `postgres`. At most 63 bytes.
   */
  user: string;
  password?: Secret3;
}
/**
 * Where pgdest keeps its state: a local file (the default), or a table in a PostgreSQL database that the team shares.
 */
export interface StateSettings {
  /**
   * `local` keeps the state in a file; `postgres` in a database reached like a destination.
   */
  backend?: 'local' | 'postgres';
  /**
   * The local state file, relative to the config file's folder (local backend). Default `.pgdest/state.json`.
   */
  path?: string;
  bastion?: Name2;
  database?: Database1;
  /**
   * The schema that holds pgdest's state table (postgres backend). Default `pgdest`.
   */
  schema?: string;
  key?: Name3;
}
/**
 * How to reach and log into the state database (postgres backend).
 */
export interface Database1 {
  /**
   * The database's address (Database address), as the bastion sees it.
   */
  host: string;
  port?: Port1;
  /**
   * The database to connect to (Database). At most 63 bytes.
   */
  name: string;
  /**
   * The login to connect as (Database User). At most 63 bytes.
   */
  user: string;
  password?: Secret2;
  /**
   * TLS to the database: `disable`, `prefer` (TLS when the server offers it), `require` (TLS, certificate not checked) or `verify-full` (TLS, certificate and host name checked).
   */
  ssl?: 'disable' | 'prefer' | 'require' | 'verify-full';
  /**
   * A PEM file of certificate authorities to trust for `verify-full`, relative to the config file. Without it, Node.js's own list is used.
   */
  ssl_root_cert?: string;
}
