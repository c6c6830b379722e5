import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DatabaseEndpoint } from '../../src/config/model.ts';
import { connectDatabase } from '../../src/database/connect-database.ts';
import { TunnelPool } from '../../src/tunnel/tunnel-pool.ts';
import { createCapturingLogger } from '../support/capture-logger.ts';
import { secretOf } from '../support/model-fixtures.ts';
import { startLab, type Lab } from '../support/start-lab.ts';

/*
 * The pool's promise: fifty destinations behind one bastion share one SSH
 * connection, counted by sshd itself, and their sessions run at the same time.
 */

const destinations = 50;
let lab: Lab;
let endpoints: DatabaseEndpoint[];

beforeAll(async () => {
  lab = await startLab();
  endpoints = [];
  const roles = Array.from({ length: destinations }, (_, index) => `loader_${index}`);
  await lab.postgres.query(
    roles.map((role) => `CREATE ROLE ${role} LOGIN PASSWORD 'pw-${role}'`).join('; '),
  );
  for (const role of roles) {
    endpoints.push(lab.endpoint({ user: role, password: secretOf(`pw-${role}`) }));
  }
});

afterAll(() => lab?.stop());

it('serves fifty destinations over one SSH connection, their queries running at the same time', async () => {
  const logger = createCapturingLogger();
  const pool = new TunnelPool(new Map([['main', lab.bastion()]]), { logger });
  const [connectionsBefore, loginsBefore] = [
    await lab.sshd.countConnections(),
    await lab.sshd.countLogins(),
  ];

  // Watch the server while the sessions sleep: all fifty must be active at once.
  // One session of its own, so that each look costs a single round trip.
  const observer = await lab.postgres.connectAsSuperuser();
  let mostAtOnce = 0;
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const { rows } = await observer.query<{ n: number }>(
        "select count(*)::int as n from pg_stat_activity where application_name = 'pgdest' and query like 'select pg_sleep%' and state = 'active'",
      );
      mostAtOnce = Math.max(mostAtOnce, rows[0]!.n);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();

  // Open every session first, then send every query in the same tick, so
  // that a slow login on a busy machine cannot keep the queries apart.
  const clients = await Promise.all(
    endpoints.map((endpoint) =>
      connectDatabase(endpoint, { logger, tunnels: pool, bastion: 'main' }),
    ),
  );
  const started = performance.now();
  const users = await Promise.all(
    clients.map(
      async (client) =>
        (await client.query<{ user: string }>('select pg_sleep(0.5), current_user as user'))
          .rows[0]!.user,
    ),
  );
  const elapsedMs = performance.now() - started;
  watching = false;
  await watcher;
  await observer.end();
  await Promise.all(clients.map((client) => client.end()));
  await pool.close();

  expect(new Set(users).size).toBe(destinations);
  expect(await lab.sshd.countConnections()).toBe(connectionsBefore + 1);
  expect(await lab.sshd.countLogins()).toBe(loginsBefore + 1);
  expect(mostAtOnce).toBe(destinations);
  // One after another they would take 25 s.
  expect(elapsedMs).toBeLessThan(5_000);
});

it('shares one connection attempt among concurrent callers and reports its hop', async () => {
  const pool = new TunnelPool(new Map([['main', lab.bastion()]]), {
    logger: createCapturingLogger(),
  });
  const connectionsBefore = await lab.sshd.countConnections();

  await Promise.all(Array.from({ length: 10 }, () => pool.connect('main')));
  const hops = pool.describeHops('main');
  await pool.close();

  expect(await lab.sshd.countConnections()).toBe(connectionsBefore + 1);
  expect(hops).toEqual([
    {
      bastion: 'main',
      endpoint: `root@${lab.sshd.hostFor(lab.network.host)}:${lab.sshd.port}`,
      through: undefined,
      connectedMs: expect.any(Number),
      hostKey: lab.sshd.hostKey().fingerprint,
    },
  ]);
  expect(pool.hostKeyOf('main')).toBe(lab.sshd.hostKey().fingerprint);
});

it('logs each connection and channel at debug level', async () => {
  const logger = createCapturingLogger();
  const pool = new TunnelPool(new Map([['main', lab.bastion()]]), { logger });
  const host = lab.postgres.hostFor(lab.bastionPlace);

  const channel = await pool.openChannel('main', host, lab.postgres.port);
  channel.destroy();
  await pool.close();

  const endpoint = `root@${lab.sshd.hostFor(lab.network.host)}:${lab.sshd.port}`;
  expect(logger.lines[0]).toMatch(
    new RegExp(
      `^debug tunnel: connected to ${endpoint} \\(bastion "main"\\) in \\d+ ms, host key SHA256:`,
    ),
  );
  expect(logger.lines[1]).toMatch(
    new RegExp(
      `^debug tunnel: channel to ${host}:${lab.postgres.port} opened via ${endpoint} in \\d+ ms$`,
    ),
  );
});

it('refuses new channels once closed', async () => {
  const pool = new TunnelPool(new Map([['main', lab.bastion()]]), {
    logger: createCapturingLogger(),
  });
  await pool.connect('main');
  await pool.close();

  await expect(
    pool.openChannel('main', lab.postgres.hostFor(lab.bastionPlace), lab.postgres.port),
  ).rejects.toThrow('the tunnel pool is closed');
});
