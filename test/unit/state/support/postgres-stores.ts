import type { DatabaseEndpoint } from '../../../../src/config/model.ts';
import { connectDatabase } from '../../../../src/database/connect-database.ts';
import { silentLogger, type Logger } from '../../../../src/diagnostics/logger.ts';
import { PostgresStateStore } from '../../../../src/state/postgres-state-store.ts';
import type { TunnelPool } from '../../../../src/tunnel/tunnel-pool.ts';
import type { StateStoreFixture } from '../state-store-contract.ts';

/** How the stores of a test file reach the state database. */
export interface StateDatabaseRoute {
  endpoint: DatabaseEndpoint;
  /** Through this bastion of `tunnels`, or directly when absent. */
  bastion?: { name: string; tunnels: TunnelPool };
}

export interface StoreOptions {
  schema?: string;
  key?: string;
  /** Log in as another user than the endpoint's. */
  endpoint?: Partial<DatabaseEndpoint>;
  logger?: Logger;
}

/**
 * Opens PostgreSQL state stores the way openStateStore does (connectDatabase,
 * through the tunnel pool when there is a bastion), each one a separate run
 * with its own session, and closes all of them at the end of a test.
 */
export class PostgresStores {
  readonly #route: StateDatabaseRoute;
  readonly #opened: PostgresStateStore[] = [];

  constructor(route: StateDatabaseRoute) {
    this.#route = route;
  }

  open(options: StoreOptions = {}): PostgresStateStore {
    const endpoint = { ...this.#route.endpoint, ...options.endpoint };
    const logger = options.logger ?? silentLogger;
    const bastion = this.#route.bastion;
    const store = new PostgresStateStore({
      connect: () =>
        connectDatabase(endpoint, {
          logger,
          applicationName: 'pgdest state',
          ...(bastion === undefined ? {} : { bastion: bastion.name, tunnels: bastion.tunnels }),
        }),
      database: endpoint,
      ...(options.schema === undefined ? {} : { schema: options.schema }),
      ...(options.key === undefined ? {} : { key: options.key }),
      logger,
    });
    this.#opened.push(store);
    return store;
  }

  /** Closes every store opened so far. */
  async closeAll(): Promise<void> {
    const stores = this.#opened.splice(0);
    await Promise.allSettled(stores.map((store) => store.close()));
  }
}

let fixtureCount = 0;

/**
 * Fresh storage for each contract test: by default a schema of its own,
 * which the first store creates, so that every test also goes through the
 * creation; with `freshKey`, a new key in one shared schema, which saves the
 * creation where sessions are slow to open (through a bastion).
 */
export function createPostgresFixture(
  route: StateDatabaseRoute,
  options: { freshKey?: boolean } = {},
): () => Promise<StateStoreFixture> {
  return async () => {
    const stores = new PostgresStores(route);
    const count = (fixtureCount += 1);
    const place = options.freshKey
      ? { schema: `contract_${process.pid}`, key: `k${count}` }
      : { schema: `contract_${process.pid}_${count}` };
    return {
      open: async () => stores.open(place),
      dispose: () => stores.closeAll(),
    };
  };
}
