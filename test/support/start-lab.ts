import type { Bastion, DatabaseEndpoint } from '../../src/config/model.ts';
import { generateKey, type SshKey } from './client-keys.ts';
import { bastionFor, endpointFor } from './model-fixtures.ts';
import { startPostgres, type PostgresCluster, type PostgresOptions } from './postgres-cluster.ts';
import { startSshd, type SshdBastion, type SshdOptions } from './sshd-bastion.ts';
import { createTempDir, removeTempDir } from './temp-dir.ts';
import { createTestNetwork, type Place, type TestNetwork } from './test-network.ts';

export interface LabOptions {
  /** Serve TLS from PostgreSQL. */
  tls?: boolean;
  sshd?: Partial<Omit<SshdOptions, 'place' | 'network'>>;
  postgres?: Partial<Omit<PostgresOptions, 'place' | 'network'>>;
  /** Force loopback even where namespaces are possible. */
  isolated?: boolean;
}

/**
 * The usual setting of a pgdest test: the host, a bastion reachable from it,
 * and a PostgreSQL reachable only from the bastion. Everything a test needs to
 * build models for it is here.
 */
export interface Lab {
  readonly network: TestNetwork;
  readonly bastionPlace: Place;
  readonly databasePlace: Place;
  readonly sshd: SshdBastion;
  readonly postgres: PostgresCluster;
  /** An ed25519 key that sshd accepts. */
  readonly clientKey: SshKey;
  /** A temp folder the test may use; removed by stop(). */
  readonly dir: string;
  /** The bastion as the host reaches it, logging in with clientKey, host key pinned. */
  bastion(overrides?: Partial<Bastion>): Bastion;
  /** The database as the bastion reaches it, the superuser logging in unless overridden. */
  endpoint(overrides?: Partial<DatabaseEndpoint>): DatabaseEndpoint;
  /** Stops the servers and removes the network and files. */
  stop(): Promise<void>;
}

/**
 * Starts a lab: host -> bastion (sshd) -> database (PostgreSQL), each in its
 * own network namespace when possible. Takes one to two seconds; start it in
 * beforeAll and stop it in afterAll.
 *
 * @example
 *   let lab: Lab;
 *   beforeAll(async () => (lab = await startLab()));
 *   afterAll(() => lab?.stop());
 *   it('reads through the bastion', async () => {
 *     const pool = new TunnelPool(new Map([['main', lab.bastion()]]), { logger: silentLogger });
 *     const client = await connectDatabase(lab.endpoint(), { logger: silentLogger, tunnels: pool, bastion: 'main' });
 *     ...
 *   });
 */
export async function startLab(options: LabOptions = {}): Promise<Lab> {
  const network = await createTestNetwork(
    options.isolated === undefined ? {} : { isolated: options.isolated },
  );
  const dir = await createTempDir('lab');
  const stops: Array<() => Promise<void>> = [];
  try {
    const bastionPlace = await network.addPlace('bastion');
    const databasePlace = await network.addPlace('database');
    await network.link(network.host, bastionPlace);
    await network.link(bastionPlace, databasePlace);

    const clientKey = await generateKey(dir, { type: 'ed25519', name: 'lab-client' });
    const [sshdStart, postgresStart] = await Promise.allSettled([
      startSshd({
        place: bastionPlace,
        network,
        authorizedKeys: [clientKey.publicKey],
        ...options.sshd,
      }),
      startPostgres({
        place: databasePlace,
        network,
        tls: options.tls ?? false,
        ...options.postgres,
      }),
    ]);
    if (sshdStart.status === 'fulfilled') stops.push(() => sshdStart.value.stop());
    if (postgresStart.status === 'fulfilled') stops.push(() => postgresStart.value.stop());
    if (sshdStart.status === 'rejected') throw sshdStart.reason;
    if (postgresStart.status === 'rejected') throw postgresStart.reason;
    const [sshd, postgres] = [sshdStart.value, postgresStart.value];

    return {
      network,
      bastionPlace,
      databasePlace,
      sshd,
      postgres,
      clientKey,
      dir,
      bastion: (overrides) => bastionFor(sshd, network.host, clientKey, overrides),
      endpoint: (overrides) => endpointFor(postgres, bastionPlace, overrides),
      stop: () => stopAll(stops, network, dir),
    };
  } catch (error) {
    await stopAll(stops, network, dir);
    throw error;
  }
}

async function stopAll(
  stops: Array<() => Promise<void>>,
  network: TestNetwork,
  dir: string,
): Promise<void> {
  await Promise.allSettled(stops.map((stop) => stop()));
  try {
    await network.destroy();
  } finally {
    await removeTempDir(dir);
  }
}
