import type { StateSettings } from '../config/model.ts';
import { connectDatabase, type SessionTimeouts } from '../database/connect-database.ts';
import type { Logger } from '../diagnostics/logger.ts';
import type { TunnelPool } from '../tunnel/tunnel-pool.ts';
import { LocalStateStore } from './local-state-store.ts';
import { PostgresStateStore } from './postgres-state-store.ts';
import type { StateStore } from './state-store.ts';

export interface OpenStateStoreOptions {
  logger: Logger;
  /**
   * The run's tunnel pool, built from the configuration's bastions; needed
   * when the state database is reached through `state.bastion`.
   */
  tunnels?: TunnelPool;
  /** Limits for the state database's sessions; the connectDatabase defaults unless given. */
  timeouts?: Partial<SessionTimeouts>;
}

/**
 * The store the configuration's `state` section names. The local path comes
 * already resolved from the configuration (`.pgdest/state.json` beside it
 * unless set). Nothing is opened yet: the PostgreSQL store connects on first
 * use, so the caller must `close()` the store at the end of the run.
 */
export function openStateStore(
  settings: StateSettings,
  options: OpenStateStoreOptions,
): StateStore {
  const { logger } = options;
  if (settings.backend === 'local') return new LocalStateStore({ path: settings.path, logger });

  const { bastion, database } = settings;
  const { tunnels } = options;
  if (bastion !== undefined && tunnels === undefined) {
    throw new Error(
      `openStateStore needs the tunnel pool to reach the state database through bastion "${bastion}"`,
    );
  }
  return new PostgresStateStore({
    // application_name tells a DBA looking at pg_stat_activity or pg_locks
    // which sessions hold pgdest's state locks.
    connect: () =>
      connectDatabase(database, {
        logger,
        ...(bastion === undefined ? {} : { bastion, tunnels }),
        applicationName: 'pgdest state',
        ...(options.timeouts === undefined ? {} : { timeouts: options.timeouts }),
      }),
    database,
    schema: settings.schema,
    key: settings.key,
    logger,
  });
}
