import type { Diagnostic } from '../diagnostics/diagnostic.ts';

/*
 * The actual state: what a destination's database really holds, as one
 * catalog query reads it. Every privilege is the loader's, whoever logged in
 * to look (the loader itself, or the admin when one is given). With an admin,
 * the loader also logs in on its own beside it, since only that proves its
 * password.
 */

/** What the loader may do in one schema, and what is in it. */
export interface SchemaFacts {
  name: string;
  exists: boolean;
  owner?: string;
  /** USAGE: the loader may reach objects in the schema. Owners and superusers hold it. */
  usage: boolean;
  /** CREATE: the loader may create tables in the schema. */
  create: boolean;
  /** Tables, views and sequences in the schema that the loader does not own, so cannot ALTER or DROP; the first few by name. */
  foreignTables: string[];
  foreignTableCount: number;
}

export interface ActualDestination {
  serverVersion: string;
  serverVersionNum: number;
  /** The login that looked. */
  inspectedAs: string;
  loader: {
    name: string;
    exists: boolean;
    canLogin: boolean;
    superuser: boolean;
    /**
     * What logging in as the loader, with the configured password, showed
     * when the admin inspected; absent when the loader itself inspected.
     */
    login?: LoaderLogin;
  };
  /** The loader's privileges on the database. */
  database: { name: string; connect: boolean; create: boolean };
  /** The declared schema. */
  schema: SchemaFacts;
  /** `public`, the documented fallback. */
  public: SchemaFacts;
}

/**
 * The loader's own login, tried beside the admin's. `password`: PostgreSQL
 * refused the configured password (SQLSTATE 28P01), which the admin can
 * set; `not-permitted`: the password was right but the role has NOLOGIN
 * (PostgreSQL checks the password first); `other`: anything else, such as a
 * pg_hba.conf refusal, with the diagnostics that say what happened.
 */
export type LoaderLogin =
  | { kind: 'accepted' }
  | { kind: 'refused'; reason: 'password' | 'not-permitted' | 'other'; diagnostics: Diagnostic[] };

/** Where a destination's tunnel went, for plans and state. */
export interface TunnelFacts {
  bastion: string;
  /** `user@host:port`. */
  endpoint: string;
  /** The `SHA256:` fingerprint the bastion presented. */
  hostKey?: string;
}

/** What refreshing found for one destination: its actual state, or why it could not be read. */
export type Observation =
  | { kind: 'observed'; actual: ActualDestination; tunnel?: TunnelFacts }
  | { kind: 'unreachable'; diagnostics: Diagnostic[] };
