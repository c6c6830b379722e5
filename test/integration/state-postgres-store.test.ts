import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseEndpoint } from '../../src/config/model.ts';
import { UserError } from '../../src/diagnostics/diagnostic.ts';
import { quoteIdentifier } from '../../src/plan/step-sql.ts';
import { serializeState } from '../../src/state/serialize-state.ts';
import { createCapturingLogger } from '../support/capture-logger.ts';
import { endpointFor, secretOf } from '../support/model-fixtures.ts';
import { startPostgres, type PostgresCluster } from '../support/postgres-cluster.ts';
import { findSecrets, renderErrorForUser } from '../support/secret-canary.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { createTestNetwork, type TestNetwork } from '../support/test-network.ts';
import { catchDiagnostic, liveHolder, sampleState } from '../unit/state/sample-state.ts';
import { runStateStoreContract } from '../unit/state/state-store-contract.ts';
import { createPostgresFixture, PostgresStores } from '../unit/state/support/postgres-stores.ts';

/*
 * The PostgreSQL state store against a real server reached directly over TCP:
 * the contract every backend passes, then what only this backend does, such
 * as creating its tables, the lock's life with its session, and privileges.
 * state-postgres-bastion.test.ts runs the same contract through a bastion.
 */

const keeperPassword = 'canary-state-password-5b8e21';
const database = 'ops';
let network: TestNetwork;
let cluster: PostgresCluster;
let keeper: DatabaseEndpoint;
const stores = new PostgresStores({
  get endpoint() {
    return keeper;
  },
});

beforeAll(async () => {
  network = await createTestNetwork({ isolated: false });
  cluster = await startPostgres({ place: network.host, network });
  // The state's own login, as a team would create it: it owns the database,
  // so it may create the schema, but it is no superuser.
  await cluster.createRole('keeper', { password: keeperPassword });
  await cluster.createDatabase(database, { owner: 'keeper' });
  keeper = endpointFor(cluster, network.host, {
    name: database,
    user: 'keeper',
    password: secretOf(keeperPassword, 'env:STATE_PASSWORD'),
  });
});

afterAll(async () => {
  await stores.closeAll();
  await cluster?.stop();
  await network?.destroy();
});

afterEach(() => stores.closeAll());

runStateStoreContract(
  'postgres',
  createPostgresFixture({
    get endpoint() {
      return keeper;
    },
  }),
);

const asAdmin = (sql: string, params: unknown[] = []) => cluster.query(sql, params, database);
let schemaCount = 0;
const freshSchema = () => `s${(schemaCount += 1)}`;

describe('the postgres state store', () => {
  describe('its tables', () => {
    it('creates the schema and both tables on first use, owned by its login', async () => {
      const schema = freshSchema();
      expect(await stores.open({ schema }).read()).toBeUndefined();

      const { rows } = await asAdmin(
        `SELECT c.relname, pg_get_userbyid(c.relowner) AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY c.relname`,
        [schema],
      );
      expect(rows).toStrictEqual([
        { relname: 'locks', owner: 'keeper' },
        { relname: 'states', owner: 'keeper' },
      ]);
    });

    it('creates them once when five runs start on an empty database at the same time', async () => {
      const schema = freshSchema();
      const runs = Array.from({ length: 5 }, () => stores.open({ schema }));

      const results = await Promise.allSettled(runs.map((store) => store.read()));

      expect(results.map((result) => result.status)).toStrictEqual(Array(5).fill('fulfilled'));
      const { rows } = await asAdmin(
        'SELECT count(*)::int AS tables FROM pg_tables WHERE schemaname = $1',
        [schema],
      );
      expect(rows[0]!.tables).toBe(2);
    });

    it('uses a schema that exists even when its login may not create schemas', async () => {
      // CREATE SCHEMA IF NOT EXISTS would fail here: PostgreSQL checks CREATE
      // on the database before it looks for the schema.
      await cluster.createRole('tenant', { password: 'tenant-password' });
      await asAdmin('CREATE SCHEMA tenant_state AUTHORIZATION tenant');
      const store = stores.open({
        schema: 'tenant_state',
        endpoint: { user: 'tenant', password: secretOf('tenant-password') },
      });

      await store.write(sampleState(1));

      expect(await store.read()).toStrictEqual(sampleState(1));
    });

    it('says what to grant when the schema is missing and its login may not create it', async () => {
      await cluster.createRole('visitor', { password: 'visitor-password' });
      const store = stores.open({
        schema: 'visitor_state',
        endpoint: { user: 'visitor', password: secretOf('visitor-password') },
      });

      const diagnostic = await catchDiagnostic(store.read());

      expect(diagnostic.summary).toBe('Cannot create the state schema "visitor_state"');
      expect(diagnostic.detail).toContain('lacks CREATE on the database');
      expect(diagnostic.hint).toContain('CREATE SCHEMA "visitor_state" AUTHORIZATION "visitor"');
      expect(diagnostic.hint).toContain(`GRANT CREATE ON DATABASE "${database}" TO "visitor"`);
    });

    it('says what to grant when the tables were created by another login', async () => {
      const schema = freshSchema();
      await stores.open({ schema }).write(sampleState(1));
      await cluster.createRole('auditor', { password: 'auditor-password' });
      await asAdmin(`GRANT USAGE ON SCHEMA ${schema} TO auditor`);
      const store = stores.open({
        schema,
        endpoint: { user: 'auditor', password: secretOf('auditor-password') },
      });

      const diagnostic = await catchDiagnostic(store.read());

      expect(diagnostic.summary).toBe('auditor may not use the state tables');
      expect(diagnostic.hint).toContain(
        `GRANT SELECT, INSERT, UPDATE, DELETE ON "${schema}"."states", "${schema}"."locks" TO "auditor"`,
      );
    });

    it('says what to grant when its login may not use the schema', async () => {
      const schema = freshSchema();
      await stores.open({ schema }).read();
      await cluster.createRole('outsider', { password: 'outsider-password' });
      const store = stores.open({
        schema,
        endpoint: { user: 'outsider', password: secretOf('outsider-password') },
      });

      const diagnostic = await catchDiagnostic(store.read());

      expect(diagnostic.summary).toBe(`Cannot use the state schema "${schema}"`);
      expect(diagnostic.hint).toContain(`GRANT USAGE ON SCHEMA "${schema}" TO "outsider"`);
    });

    it('quotes the schema, so that any name is taken as it is', async () => {
      const schema = 'Ops "state"; DROP';
      await stores.open({ schema }).write(sampleState(1));
      const { rows } = await asAdmin(
        'SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1',
        [schema],
      );
      expect(rows[0]!.n).toBe(1);
    });
  });

  describe('the stored document', () => {
    it('stores the document the local file would hold, with lineage and serial beside it', async () => {
      const schema = freshSchema();
      await stores.open({ schema, key: 'warehouse' }).write(sampleState(7));

      const { rows } = await asAdmin(
        `SELECT key, lineage, serial::int, document FROM ${schema}.states`,
      );

      expect(rows).toStrictEqual([
        {
          key: 'warehouse',
          lineage: sampleState(7).lineage,
          serial: 7,
          document: JSON.parse(serializeState(sampleState(7))),
        },
      ]);
    });

    it('keeps the version each write replaced, as the local store keeps a backup', async () => {
      const schema = freshSchema();
      const store = stores.open({ schema });
      await store.write(sampleState(1));
      await store.write(sampleState(2));

      const { rows } = await asAdmin(
        `SELECT previous_document -> 'serial' AS serial FROM ${schema}.states`,
      );

      expect(rows[0]!.serial).toBe(1);
    });

    it('keeps one state per key, side by side in one table', async () => {
      const schema = freshSchema();
      await stores.open({ schema, key: 'one' }).write(sampleState(3));
      await stores
        .open({ schema, key: 'two' })
        .write({ ...sampleState(1), lineage: '0b1d5a4e-1111-4c2b-9d3e-7f6a5b4c3d2e' });

      expect((await stores.open({ schema, key: 'one' }).read())?.serial).toBe(3);
      expect((await stores.open({ schema, key: 'two' }).read())?.lineage).toBe(
        '0b1d5a4e-1111-4c2b-9d3e-7f6a5b4c3d2e',
      );
    });

    it('accepts exactly one of several runs that write the same next serial at once, without the lock', async () => {
      const schema = freshSchema();
      await stores.open({ schema }).write(sampleState(1));
      const runs = Array.from({ length: 6 }, () => stores.open({ schema }));

      const results = await Promise.allSettled(runs.map((store) => store.write(sampleState(2))));

      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      for (const result of results) {
        if (result.status === 'rejected')
          expect((result.reason as UserError).diagnostics[0]!.summary).toBe(
            'State changed since it was read',
          );
      }
    });

    it('points at the previous version when a hand edit left a document that is not a state', async () => {
      const schema = freshSchema();
      const store = stores.open({ schema });
      await store.write(sampleState(1));
      await store.write(sampleState(2));
      await asAdmin(`UPDATE ${schema}.states SET document = document || '{"extra": true}'`);

      const diagnostic = await catchDiagnostic(stores.open({ schema }).read());

      expect(diagnostic.summary).toBe('State file has an unexpected shape');
      expect(diagnostic.hint).toContain(
        `previous_document column of "${schema}"."states" where key is 'default'`,
      );
    });
  });

  describe('its lock', () => {
    it('lets runs on two keys of one database hold their locks at the same time', async () => {
      const schema = freshSchema();
      await stores.open({ schema, key: 'warehouse' }).lock(liveHolder('pgdest apply'), 0);

      await expect(
        stores.open({ schema, key: 'marts' }).lock(liveHolder('pgdest apply'), 0),
      ).resolves.toBeDefined();
      await catchDiagnostic(
        stores.open({ schema, key: 'warehouse' }).lock(liveHolder('pgdest plan'), 0),
      );
    });

    it('is given to the next run as soon as the session of its holder ends, and the holder record is overwritten', async () => {
      const schema = freshSchema();
      await stores.open({ schema }).lock(liveHolder('pgdest apply'), 0);
      // What the server sees when a run's machine or connection dies.
      await asAdmin(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pgdest state' AND datname = $1",
        [database],
      );

      await stores.open({ schema }).lock(liveHolder('pgdest plan'), 5_000);

      const { rows } = await asAdmin(`SELECT command FROM ${schema}.locks`);
      expect(rows).toStrictEqual([{ command: 'pgdest plan' }]);
    });

    it('says the lock was lost, and writes nothing, once the session holding it has ended', async () => {
      const schema = freshSchema();
      const store = stores.open({ schema });
      await store.lock(liveHolder(), 0);
      await store.write(sampleState(1));
      await stores.open({ schema }).forceUnlock();

      const diagnostic = await catchDiagnostic(store.write(sampleState(2)));

      expect(diagnostic.summary).toBe('State lock was lost');
      expect(diagnostic.detail).toContain(store.location);
      expect((await stores.open({ schema }).read())?.serial).toBe(1);
    });

    it('ends the session of the holder on a forced unlock, and says so in a warning', async () => {
      const schema = freshSchema();
      const logger = createCapturingLogger();
      const holder = liveHolder('pgdest apply');
      await stores.open({ schema }).lock(holder, 0);

      expect(await stores.open({ schema, logger }).forceUnlock()).toStrictEqual({
        kind: 'unlocked',
        holder,
      });

      expect(logger.warnings()).toHaveLength(1);
      expect(logger.warnings()[0]).toMatch(
        new RegExp(
          `^ended database session \\d+ of process ${holder.pid} on .* \\(pgdest apply\\)`,
        ),
      );
      const { rows } = await asAdmin(`SELECT key, command FROM ${schema}.locks`);
      expect(rows).toStrictEqual([{ key: 'default', command: null }]);
    });

    it('clears, on a forced unlock, a holder record whose session had ended, and says nothing was locked', async () => {
      const schema = freshSchema();
      await stores.open({ schema }).lock(liveHolder('pgdest apply'), 0);
      await asAdmin(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pgdest state' AND datname = $1",
        [database],
      );
      await waitFor(
        async () =>
          (await asAdmin("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'"))
            .rows[0]!.n === 0,
      );

      expect(await stores.open({ schema }).forceUnlock()).toStrictEqual({ kind: 'not-locked' });

      const { rows } = await asAdmin(`SELECT key, command FROM ${schema}.locks`);
      expect(rows).toStrictEqual([{ key: 'default', command: null }]);
    });

    it("refuses a forced unlock when its login may not end the holder's session, naming the holder", async () => {
      const schema = freshSchema();
      await stores.open({ schema }).write(sampleState(1));
      await cluster.createRole('teammate', { password: 'teammate-password' });
      await asAdmin(
        `GRANT USAGE ON SCHEMA ${schema} TO teammate; GRANT SELECT, INSERT, UPDATE, DELETE ON ${schema}.states, ${schema}.locks TO teammate`,
      );
      const holder = liveHolder('pgdest apply');
      await stores.open({ schema }).lock(holder, 0);

      const store = stores.open({
        schema,
        endpoint: { user: 'teammate', password: secretOf('teammate-password') },
      });
      const diagnostic = await catchDiagnostic(store.forceUnlock());

      expect(diagnostic.summary).toBe('Cannot end the session that holds the state lock');
      expect(diagnostic.detail).toContain(`process ${holder.pid}`);
      expect(diagnostic.hint).toMatch(/pg_terminate_backend\(\d+\)/);
      await catchDiagnostic(stores.open({ schema }).lock(liveHolder('pgdest plan'), 0));
    });

    it('refuses, and will not force open, a lock held by a session that has not said who it is', async () => {
      const schema = freshSchema();
      await (await stores.open({ schema }).lock(liveHolder(), 0)).release();
      const [lockKey] = await readLockKeys(schema, ['default']);
      const stranger = await cluster.connectAsSuperuser(database);
      try {
        await stranger.query('SELECT pg_advisory_lock($1, $2)', [
          lockKey!.classId,
          lockKey!.objectId,
        ]);

        const locked = await catchDiagnostic(stores.open({ schema }).lock(liveHolder(), 0));
        const unlock = await catchDiagnostic(stores.open({ schema }).forceUnlock());

        expect(locked.detail).toMatch(
          /does not say by whom: database session \d+ holds it without having recorded who it is/,
        );
        expect(unlock.summary).toBe('Cannot tell who holds the state lock');
        expect(unlock.hint).toMatch(/pg_terminate_backend\(\d+\)/);
      } finally {
        await stranger.end();
      }
    });

    it('gives each key of each schema a lock of its own, so that runs on two keys never wait for each other', async () => {
      // Under a lock id hashed from schema and key (its first 32 bits of
      // SHA-256), these two keys of schema "collide" shared one lock. The keys
      // of a fresh schema number their locks from 1 as well, so the lock
      // must also tell the schemas apart.
      const other = freshSchema();
      const runs = [
        { schema: 'collide', key: 'k11zn' },
        { schema: 'collide', key: 'k2q7u' },
        { schema: other, key: 'k11zn' },
      ];

      const locked = await Promise.allSettled(
        runs.map((place) => stores.open(place).lock(liveHolder('pgdest apply'), 0)),
      );

      expect(locked.map((result) => result.status)).toStrictEqual(Array(3).fill('fulfilled'));
      const keys = [
        ...(await readLockKeys('collide', ['k11zn', 'k2q7u'])),
        ...(await readLockKeys(other, ['k11zn'])),
      ];
      expect(new Set(keys.map(({ classId, objectId }) => `${classId}/${objectId}`)).size).toBe(3);
      const { rows } = await asAdmin(
        `SELECT count(*)::int AS n FROM pg_locks AS l JOIN pg_namespace AS n ON n.oid = l.classid
          WHERE l.locktype = 'advisory' AND l.granted AND n.nspname IN ('collide', $1)`,
        [other],
      );
      expect(rows[0]!.n).toBe(3);
    });

    it('keeps the lock id of a key from run to run, and clears only who held it', async () => {
      const schema = freshSchema();
      await (await stores.open({ schema }).lock(liveHolder('pgdest apply'), 0)).release();
      const before = await readLockKeys(schema, ['default']);
      await stores.open({ schema }).lock(liveHolder('pgdest plan'), 0);

      expect(await readLockKeys(schema, ['default'])).toStrictEqual(before);
      await stores.closeAll();
      const { rows } = await asAdmin(`SELECT key, token, command FROM ${schema}.locks`);
      expect(rows).toStrictEqual([{ key: 'default', token: null, command: null }]);
    });

    it('gives a new key one lock id when five runs lock it at the same time, and the lock to one of them', async () => {
      const schema = freshSchema();
      await stores.open({ schema }).read();
      const runs = Array.from({ length: 5 }, () => stores.open({ schema, key: 'new' }));
      // Sessions opened beforehand, so that the runs' first statements meet.
      await Promise.all(runs.map((store) => store.read()));

      const locked = await Promise.allSettled(runs.map((store) => store.lock(liveHolder(), 0)));

      expect(locked.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      for (const result of locked) {
        if (result.status === 'rejected')
          expect((result.reason as UserError).diagnostics[0]!.summary).toBe('State is locked');
      }
      const { rows } = await asAdmin(`SELECT key FROM ${schema}.locks`);
      expect(rows).toStrictEqual([{ key: 'new' }]);
    });

    it('refuses to go on when the row of its key was deleted by hand, giving another run a new lock id', async () => {
      const schema = freshSchema();
      const store = stores.open({ schema });
      await (await store.lock(liveHolder('pgdest apply'), 0)).release();
      await asAdmin(`DELETE FROM ${schema}.locks`);
      await stores.open({ schema }).lock(liveHolder('pgdest plan'), 0);

      const changed = await catchDiagnostic(store.lock(liveHolder('pgdest apply'), 0));
      const locked = await catchDiagnostic(store.lock(liveHolder('pgdest apply'), 0));

      expect(changed.summary).toBe('State lock record changed while locking');
      expect(changed.hint).toContain(`Leave the rows of "${schema}"."locks" in place`);
      expect(locked.summary).toBe('State is locked');
      expect(locked.detail).toContain('(pgdest plan)');
    });

    it('waits in the server and takes the lock the moment it is released', async () => {
      const schema = freshSchema();
      const lock = await stores.open({ schema }).lock(liveHolder(), 0);
      const logger = createCapturingLogger();

      const waiting = stores.open({ schema, logger }).lock(liveHolder('pgdest plan'), 20_000);
      await waitFor(async () => logger.text().includes('waiting up to 20000 ms'));
      const { rows } = await asAdmin(
        "SELECT wait_event FROM pg_stat_activity WHERE application_name = 'pgdest state' AND wait_event_type = 'Lock'",
      );
      await lock.release();
      await waiting;

      expect(rows).toStrictEqual([{ wait_event: 'advisory' }]);
    });

    it('leaves no transaction open after waiting for the lock', async () => {
      const schema = freshSchema();
      const lock = await stores.open({ schema }).lock(liveHolder(), 0);
      const store = stores.open({ schema });
      setTimeout(() => void lock.release(), 200);
      await store.lock(liveHolder('pgdest plan'), 5_000);

      // The store's session is the one that waited; the state read goes over it.
      const { rows } = await asAdmin(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'pgdest state' AND state = 'idle in transaction'",
      );
      expect(rows[0]!.n).toBe(0);
      expect(await store.read()).toBeUndefined();
    });
  });

  describe('its network', () => {
    it('says it cannot reach the state database, and connects again on the next call', async () => {
      const proxy = await startTcpProxy({
        target: { host: keeper.host, port: keeper.port },
        mode: 'reset',
      });
      try {
        const store = stores.open({
          schema: freshSchema(),
          endpoint: { host: proxy.host, port: proxy.port },
        });

        const diagnostic = await catchDiagnostic(store.read());
        proxy.setMode('forward');

        expect(diagnostic.summary).toContain(
          `database "${database}" at ${proxy.host}:${proxy.port}`,
        );
        expect(await store.read()).toBeUndefined();
      } finally {
        await proxy.close();
      }
    });

    it('ends a run within seconds when the network stops answering while it holds the lock', async () => {
      const schema = freshSchema();
      const proxy = await startTcpProxy({ target: { host: keeper.host, port: keeper.port } });
      try {
        const stranded = stores.open({ schema, endpoint: { host: proxy.host, port: proxy.port } });
        await stranded.lock(liveHolder('pgdest apply'), 0);
        proxy.setMode('blackhole');

        const startedAt = Date.now();
        await stranded.close();

        expect(Date.now() - startedAt).toBeLessThan(6_000);
      } finally {
        await proxy.close();
      }
    });

    it('lets state unlock free a lock whose run lost its network, and that run ends without waiting for it', async () => {
      const schema = freshSchema();
      const proxy = await startTcpProxy({ target: { host: keeper.host, port: keeper.port } });
      try {
        const holder = liveHolder('pgdest apply');
        const stranded = stores.open({ schema, endpoint: { host: proxy.host, port: proxy.port } });
        await stranded.lock(holder, 0);
        await stranded.write(sampleState(1));
        // A laptop closed mid-run: the server keeps the session, and the lock.
        proxy.setMode('blackhole');

        const locked = await catchDiagnostic(
          stores.open({ schema }).lock(liveHolder('pgdest plan'), 0),
        );
        const unlocked = await stores.open({ schema }).forceUnlock();
        const next = stores.open({ schema });
        await next.lock(liveHolder('pgdest plan'), 0);
        await next.write(sampleState(2));
        const startedAt = Date.now();
        await stranded.close();

        expect(locked.detail).toContain('(pgdest apply)');
        expect(unlocked).toStrictEqual({ kind: 'unlocked', holder });
        expect(Date.now() - startedAt).toBeLessThan(6_000);
        expect((await next.read())?.serial).toBe(2);
      } finally {
        await proxy.close();
      }
    });
  });

  describe('secrets', () => {
    it('never shows the state password, in errors or in log lines', async () => {
      const logger = createCapturingLogger();
      const shown: string[] = [];
      const schema = freshSchema();
      const show = async (promise: Promise<unknown>) =>
        shown.push(
          renderErrorForUser(
            await promise.then(
              () => undefined,
              (error: unknown) => error,
            ),
          ),
        );

      const store = stores.open({ schema, logger });
      await store.lock(liveHolder('pgdest apply'), 0);
      await store.write(sampleState(1));
      await show(stores.open({ schema, logger }).lock(liveHolder('pgdest plan'), 100));
      await show(stores.open({ schema, logger }).write(sampleState(5)));
      await stores.open({ schema, logger }).forceUnlock();
      await show(store.write(sampleState(2)));
      // A wrong password that is itself a canary, refused by the server.
      await show(
        stores
          .open({ schema, logger, endpoint: { password: secretOf(`${keeperPassword}-wrong`) } })
          .read(),
      );

      expect(shown.every((text) => text.length > 0)).toBe(true);
      expect(findSecrets([...shown, logger.text()].join('\n'), [keeperPassword])).toStrictEqual([]);
    });
  });
});

/** The advisory lock of each of `keys` in `schema`, as the locks table and the catalog give it. */
async function readLockKeys(
  schema: string,
  keys: string[],
): Promise<{ classId: number; objectId: number }[]> {
  const { rows } = await asAdmin(
    `SELECT n.oid::int4 AS "classId", h.lock_id AS "objectId"
       FROM pg_namespace AS n, ${quoteIdentifier(schema)}.locks AS h
      WHERE n.nspname = $1 AND h.key = ANY($2) ORDER BY array_position($2, h.key)`,
    [schema, keys],
  );
  return rows as { classId: number; objectId: number }[];
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const startedAt = Date.now();
  while (!(await condition())) {
    if (Date.now() - startedAt > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
