import { allPrivileges } from '../config/model.ts';
import type { DestinationState, State } from './state.ts';

/** The version of the on-disk layout; `parseState` refuses any other. */
export const stateFormatVersion = 1;

/**
 * The state as its file holds it: JSON with snake_case keys, two-space
 * indentation and a final newline.
 *
 * Every object is built key by key, destinations are sorted by name and
 * privileges follow one fixed order, so that the same state always gives the
 * same bytes and a change shows in a review as a small diff. Optional fields
 * that are absent are left out rather than written as null.
 */
export function serializeState(state: State): string {
  const names = Object.keys(state.destinations).sort(compareCodePoints);
  const destinations: Record<string, unknown> = {};
  for (const name of names) {
    destinations[name] = toDocument(state.destinations[name]!);
  }

  const document = {
    format_version: stateFormatVersion,
    lineage: state.lineage,
    serial: state.serial,
    destinations,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

function toDocument(entry: DestinationState): Record<string, unknown> {
  return {
    bastion: entry.bastion && {
      name: entry.bastion.name,
      endpoint: entry.bastion.endpoint,
      host_key: entry.bastion.hostKey,
    },
    database: {
      host: entry.database.host,
      port: entry.database.port,
      name: entry.database.name,
      user: entry.database.user,
      password_from: entry.database.passwordFrom,
    },
    schema: {
      requested: entry.schema.requested,
      effective: entry.schema.effective,
      fallback: entry.schema.fallback,
    },
    privileges: allPrivileges.filter((privilege) => entry.privileges.includes(privilege)),
    admin: entry.admin && { user: entry.admin.user, password_from: entry.admin.passwordFrom },
    on_delete: entry.onDelete,
    server_version: entry.serverVersion,
    applied_at: entry.appliedAt,
  };
}

// Locale-independent, so that two machines sort names the same way.
function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
