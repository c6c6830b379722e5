import { randomUUID } from 'node:crypto';
import type { OnDelete, Privilege } from '../config/model.ts';

/**
 * The prior state: what pgdest last applied to each destination. It holds no
 * secret, only where a password comes from, so that the file can be read in a
 * review and kept beside the configuration.
 */
export interface State {
  /** A UUID chosen when the state is first created and never changed; tells two histories apart. */
  lineage: string;
  /** One more at every write; a store refuses a write that does not follow what it holds. */
  serial: number;
  destinations: Record<string, DestinationState>;
}

/** What was applied to one destination, and what pgdest saw while doing it. */
export interface DestinationState {
  /** The bastion the tunnel went through, or null for a direct connection. */
  bastion: BastionState | null;
  database: {
    host: string;
    port: number;
    name: string;
    user: string;
    /** Where the password comes from, such as `env:WAREHOUSE_PASSWORD`; never the value. */
    passwordFrom?: string;
  };
  schema: {
    /** The schema the configuration asked for. */
    requested: string;
    /** The schema the loader writes into: the requested one, or `public` after the fallback. */
    effective: string;
    fallback: boolean;
  };
  privileges: Privilege[];
  admin?: {
    user: string;
    /** Where the admin password comes from; never the value. */
    passwordFrom?: string;
  };
  onDelete: OnDelete;
  /** As the server reports it in `server_version`, such as `16.4`. */
  serverVersion: string;
  /** ISO 8601, in UTC. */
  appliedAt: string;
}

export interface BastionState {
  name: string;
  /** `user@host:port`, with an IPv6 host in brackets. */
  endpoint: string;
  /** The `SHA256:` fingerprint of the host key the bastion presented. */
  hostKey?: string;
}

/** A state that has never been written: a fresh lineage, serial 0, so the first write is serial 1. */
export function newState(): State {
  return { lineage: randomUUID(), serial: 0, destinations: {} };
}

/** The same state with one more serial, ready to be written after it was read. */
export function advanceState(state: State, destinations = state.destinations): State {
  return { lineage: state.lineage, serial: state.serial + 1, destinations };
}
