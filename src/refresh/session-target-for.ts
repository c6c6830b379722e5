import type { Destination } from '../config/model.ts';
import type { SessionTarget } from '../database/session-pool.ts';

/**
 * The session a destination is inspected (and its admin steps applied)
 * through: as the admin when one is given, since the loader's role may not
 * exist yet; else as the loader.
 */
export function inspectionTargetFor(destination: Destination): SessionTarget {
  return destination.admin ? adminTargetFor(destination) : loaderTargetFor(destination);
}

/**
 * The session that proves the loader's own login when the admin inspects:
 * the admin's session says what the catalog holds, but only logging in as
 * the loader shows that its configured password works. Undefined without
 * an admin, when inspecting is already the loader's login.
 */
export function loaderLoginTargetFor(destination: Destination): SessionTarget | undefined {
  return destination.admin ? loaderTargetFor(destination) : undefined;
}

export function loaderTargetFor(destination: Destination): SessionTarget {
  return { bastion: destination.bastion, endpoint: destination.database };
}

export function adminTargetFor(destination: Destination): SessionTarget {
  return { bastion: destination.bastion, endpoint: destination.database, login: destination.admin };
}
