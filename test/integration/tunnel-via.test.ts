import { connect } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Bastion } from '../../src/config/model.ts';
import { connectDatabase } from '../../src/database/connect-database.ts';
import { TunnelError } from '../../src/tunnel/tunnel-error.ts';
import { defaultChannelTimeoutMs, TunnelPool } from '../../src/tunnel/tunnel-pool.ts';
import { createCapturingLogger } from '../support/capture-logger.ts';
import { generateKey, type SshKey } from '../support/client-keys.ts';
import { bastionFor, endpointFor } from '../support/model-fixtures.ts';
import { startPostgres, type PostgresCluster } from '../support/postgres-cluster.ts';
import { startSshd, type SshdBastion } from '../support/sshd-bastion.ts';
import { createTempDir, removeTempDir } from '../support/temp-dir.ts';
import { createTestNetwork, type Place, type TestNetwork } from '../support/test-network.ts';

/*
 * A chain of two real bastions: the host reaches only the outer one, the outer
 * one only the inner one, and the inner one only the database. A query that
 * succeeds went through both.
 */

let network: TestNetwork;
let dir: string;
let outerPlace: Place;
let innerPlace: Place;
let outer: SshdBastion;
let inner: SshdBastion;
let postgres: PostgresCluster;
let key: SshKey;

beforeAll(async () => {
  network = await createTestNetwork();
  dir = await createTempDir('via');
  outerPlace = await network.addPlace('outer');
  innerPlace = await network.addPlace('inner');
  const databasePlace = await network.addPlace('database');
  await network.link(network.host, outerPlace);
  await network.link(outerPlace, innerPlace);
  await network.link(innerPlace, databasePlace);

  key = await generateKey(dir, { type: 'ed25519' });
  [outer, inner, postgres] = await Promise.all([
    startSshd({ place: outerPlace, network, authorizedKeys: [key.publicKey] }),
    startSshd({ place: innerPlace, network, authorizedKeys: [key.publicKey] }),
    startPostgres({ place: databasePlace, network }),
  ]);
});

afterAll(async () => {
  await Promise.allSettled([outer?.stop(), inner?.stop(), postgres?.stop()]);
  await network?.destroy();
  if (dir) await removeTempDir(dir);
});

function chain(
  overrides: { outer?: Partial<Bastion>; inner?: Partial<Bastion> } = {},
): Map<string, Bastion> {
  return new Map([
    ['outer', bastionFor(outer, network.host, key, { name: 'outer', ...overrides.outer })],
    // The inner bastion's address is the one the outer bastion reaches it at.
    [
      'inner',
      bastionFor(inner, outerPlace, key, { name: 'inner', via: 'outer', ...overrides.inner }),
    ],
  ]);
}

it('runs a query through two bastions, the inner one reached through the outer one', async () => {
  const logger = createCapturingLogger();
  const pool = new TunnelPool(chain(), { logger });
  const endpoint = endpointFor(postgres, innerPlace);

  const client = await connectDatabase(endpoint, { logger, tunnels: pool, bastion: 'inner' });
  const { rows } = await client.query<{ one: number }>('select 1 as one');
  await client.end();
  const hops = pool.describeHops('inner');
  await pool.close();

  expect(rows).toEqual([{ one: 1 }]);
  expect(hops.map((hop) => [hop.bastion, hop.endpoint, hop.through, hop.hostKey])).toEqual([
    [
      'outer',
      `root@${outer.hostFor(network.host)}:${outer.port}`,
      undefined,
      outer.hostKey().fingerprint,
    ],
    [
      'inner',
      `root@${inner.hostFor(outerPlace)}:${inner.port}`,
      'outer',
      inner.hostKey().fingerprint,
    ],
  ]);
  expect(hops.every((hop) => hop.connectedMs > 0)).toBe(true);
});

it('cannot reach the inner bastion from the host directly', async (context) => {
  // On loopback every server is reachable; only namespaces make this true.
  if (!network.isolated) context.skip();
  const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    const socket = connect({ host: inner.hostFor(outerPlace), port: inner.port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', resolve);
  });

  expect(error?.code).toBe('EHOSTUNREACH');
});

it('checks the inner bastion host key on its own', async () => {
  const wrongPin = outer.hostKey().fingerprint;
  const pool = new TunnelPool(chain({ inner: { hostKey: wrongPin } }), {
    logger: createCapturingLogger(),
  });

  const error = await pool.connect('inner').then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  await pool.close();

  expect(error).toBeInstanceOf(TunnelError);
  expect((error as TunnelError).reason).toBe('host-key-changed');
  expect((error as TunnelError).hop).toBe(`root@${inner.hostFor(outerPlace)}:${inner.port}`);
  expect((error as TunnelError).diagnostic.detail).toContain('reached through bastion "outer"');
});

it('names the outer bastion when the outer hop fails', async () => {
  const wrongPin = inner.hostKey().fingerprint;
  const pool = new TunnelPool(chain({ outer: { hostKey: wrongPin } }), {
    logger: createCapturingLogger(),
  });

  const error = await pool.connect('inner').then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  await pool.close();

  expect((error as TunnelError).reason).toBe('host-key-changed');
  expect((error as TunnelError).diagnostic.summary).toBe('Host key of bastion "outer" has changed');
});

it('says the outer bastion cannot reach the inner one when its port is closed', async () => {
  const pool = new TunnelPool(chain({ inner: { port: inner.port + 1 } }), {
    logger: createCapturingLogger(),
  });

  const error = await pool.connect('inner').then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  await pool.close();

  expect((error as TunnelError).reason).toBe('bastion-unreachable');
  expect((error as TunnelError).diagnostic.summary).toBe(
    `Bastion "outer" (root@${outer.hostFor(network.host)}:${outer.port}) cannot reach bastion "inner" at ${inner.hostFor(outerPlace)}:${inner.port + 1}`,
  );
});

it('times out on the inner bastion connect_timeout when the outer one gets no answer from it', async (context) => {
  if (!network.isolated) context.skip();
  const silent = (await network.addSilentAddress(outerPlace, innerPlace))!;
  const pool = new TunnelPool(chain({ inner: { host: silent, connectTimeoutMs: 1_500 } }), {
    logger: createCapturingLogger(),
  });

  const started = performance.now();
  const error = await pool.connect('inner').then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  const elapsedMs = performance.now() - started;
  await pool.close();

  expect(error).toBeInstanceOf(TunnelError);
  expect((error as TunnelError).reason).toBe('connect-timeout');
  expect((error as TunnelError).diagnostic.summary).toBe(
    `Timed out connecting to bastion "inner" (root@${silent}:${inner.port})`,
  );
  expect((error as TunnelError).diagnostic.detail).toContain(
    `Bastion "outer" did not open a connection to ${silent}:${inner.port} within 1.5 s`,
  );
  // connect_timeout, not the pool's channel timeout, limits the channel.
  expect(elapsedMs).toBeGreaterThanOrEqual(1_400);
  expect(elapsedMs).toBeLessThan(defaultChannelTimeoutMs);
});

it('opens one SSH connection per hop for many sessions', async () => {
  const [outerBefore, innerBefore] = [
    await outer.countConnections(),
    await inner.countConnections(),
  ];
  const pool = new TunnelPool(chain(), { logger: createCapturingLogger() });
  const endpoint = endpointFor(postgres, innerPlace);

  const clients = await Promise.all(
    Array.from({ length: 5 }, () =>
      connectDatabase(endpoint, {
        logger: createCapturingLogger(),
        tunnels: pool,
        bastion: 'inner',
      }),
    ),
  );
  await Promise.all(clients.map((client) => client.end()));
  await pool.close();

  expect(await outer.countConnections()).toBe(outerBefore + 1);
  expect(await inner.countConnections()).toBe(innerBefore + 1);
});
