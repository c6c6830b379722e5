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

export function loaderTargetFor(destination: Destination): SessionTarget {
  return { bastion: destination.bastion, endpoint: destination.database };
}

export function adminTargetFor(destination: Destination): SessionTarget {
  return { bastion: destination.bastion, endpoint: destination.database, login: destination.admin };
}
