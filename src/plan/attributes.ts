import { formatBastionEndpoint, formatDatabaseEndpoint } from '../config/endpoints.ts';
import { allPrivileges, type Bastion, type Destination, type Privilege } from '../config/model.ts';
import type { DestinationState } from '../state/state.ts';
import type { Attributes } from './plan.ts';

/** The attributes a destination will have once applied. */
export function desiredAttributes(
  destination: Destination,
  bastion: Bastion | undefined,
  effectiveSchema: string,
): Attributes {
  return {
    bastion: bastion ? formatBastionEndpoint(bastion) : null,
    database: formatDatabaseEndpoint(destination.database),
    user: destination.database.user,
    schema: destination.schema,
    effective_schema: effectiveSchema,
    fallback: effectiveSchema !== destination.schema,
    privileges: canonicalPrivileges(destination.privileges),
    admin: destination.admin?.user ?? null,
    on_delete: destination.onDelete,
  };
}

/** The attributes a destination had when it was last applied. */
export function priorAttributes(entry: DestinationState): Attributes {
  const { database } = entry;
  return {
    bastion: entry.bastion?.endpoint ?? null,
    database: formatDatabaseEndpoint(database),
    user: database.user,
    schema: entry.schema.requested,
    effective_schema: entry.schema.effective,
    fallback: entry.schema.fallback,
    privileges: canonicalPrivileges(entry.privileges),
    admin: entry.admin?.user ?? null,
    on_delete: entry.onDelete,
  };
}

/** The attributes whose values differ, by name. */
export function changedAttributes(before: Attributes, after: Attributes): (keyof Attributes)[] {
  return (Object.keys(after) as (keyof Attributes)[]).filter(
    (key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]),
  );
}

/** Privileges in one fixed order, so that the order they are written in is not a change. */
function canonicalPrivileges(privileges: readonly Privilege[]): Privilege[] {
  return allPrivileges.filter((privilege) => privileges.includes(privilege));
}
