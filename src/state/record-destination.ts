import { formatBastionEndpoint } from '../config/endpoints.ts';
import type { Bastion, Destination } from '../config/model.ts';
import type { DestinationState } from './state.ts';

/** What apply knows about a destination once it is ready. */
export interface AppliedDestination {
  destination: Destination;
  /** The destination's bastion, when it has one. */
  bastion?: Bastion;
  /** The `SHA256:` fingerprint the bastion presented. */
  hostKeySeen?: string;
  /** The schema the loader writes into: the declared one, or `public` after the fallback. */
  effectiveSchema: string;
  serverVersion: string;
  appliedAt: Date;
}

/**
 * The state entry for a destination that was applied. Secrets are recorded
 * only by their origin (`env:NAME`, `file:PATH`, `literal`), which is the
 * one part of a Secret that is safe to keep.
 */
export function recordDestination(applied: AppliedDestination): DestinationState {
  const { destination, bastion } = applied;
  const entry: DestinationState = {
    bastion: bastion
      ? {
          name: bastion.name,
          endpoint: formatBastionEndpoint(bastion),
          ...(applied.hostKeySeen === undefined ? {} : { hostKey: applied.hostKeySeen }),
        }
      : null,
    database: {
      host: destination.database.host,
      port: destination.database.port,
      name: destination.database.name,
      user: destination.database.user,
      ...(destination.database.password
        ? { passwordFrom: destination.database.password.origin }
        : {}),
    },
    schema: {
      requested: destination.schema,
      effective: applied.effectiveSchema,
      fallback: applied.effectiveSchema !== destination.schema,
    },
    privileges: [...destination.privileges],
    onDelete: destination.onDelete,
    serverVersion: applied.serverVersion,
    appliedAt: applied.appliedAt.toISOString(),
  };
  if (destination.admin) {
    const { user, password } = destination.admin;
    entry.admin = { user, ...(password ? { passwordFrom: password.origin } : {}) };
  }
  return entry;
}
