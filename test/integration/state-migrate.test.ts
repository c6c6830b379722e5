import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DatabaseEndpoint } from '../../src/config/model.ts';
import { LocalStateStore } from '../../src/state/local-state-store.ts';
import { migrateState } from '../../src/state/migrate-state.ts';
import { advanceState } from '../../src/state/state.ts';
import { endpointFor, secretOf } from '../support/model-fixtures.ts';
import { startPostgres, type PostgresCluster } from '../support/postgres-cluster.ts';
import { createTestNetwork, type TestNetwork } from '../support/test-network.ts';
import {
  catchDiagnostic,
  liveHolder,
  sampleMarts,
  sampleState,
} from '../unit/state/sample-state.ts';
import { PostgresStores } from '../unit/state/support/postgres-stores.ts';

/* `pgdest state migrate`'s work: between a local file and a PostgreSQL table, both ways. */

const keeperPassword = 'canary-state-password-9a0e44';
let network: TestNetwork;
let cluster: PostgresCluster;
let keeper: DatabaseEndpoint;
const stores = new PostgresStores({
  get endpoint() {
    return keeper;
  },
});
let root: string;
let keyCount = 0;

beforeAll(async () => {
  network = await createTestNetwork({ isolated: false });
  cluster = await startPostgres({ place: network.host, network });
  await cluster.createRole('keeper', { password: keeperPassword });
  await cluster.createDatabase('ops', { owner: 'keeper' });
  keeper = endpointFor(cluster, network.host, {
    name: 'ops',
    user: 'keeper',
    password: secretOf(keeperPassword, 'env:STATE_PASSWORD'),
  });
});

afterAll(async () => {
  await cluster?.stop();
  await network?.destroy();
});

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'pgdest-migrate-'));
});

afterEach(async () => {
  await stores.closeAll();
  await rm(root, { recursive: true, force: true });
});

const localStore = (name = 'state.json') => new LocalStateStore({ path: join(root, name) });
const postgresStore = (key = `k${(keyCount += 1)}`) => stores.open({ key });
const holder = () => liveHolder('pgdest state migrate');

describe('migrateState', () => {
  it('moves a local state to PostgreSQL and back, with its lineage, serial and content', async () => {
    const local = localStore();
    await local.write(sampleState(5));
    const remote = postgresStore();

    const there = await migrateState(local, remote, holder(), 0);

    expect(there).toMatchObject({
      outcome: 'copied',
      lineage: sampleState().lineage,
      serial: 5,
      from: local.location,
      to: remote.location,
    });
    expect(await remote.read()).toStrictEqual(sampleState(5));
    expect(await local.read()).toStrictEqual(sampleState(5));

    // Runs go on against PostgreSQL, then the state comes home to a new file.
    await remote.write(advanceState(sampleState(5), { marts: sampleMarts() }));
    const home = localStore('home.json');
    const back = await migrateState(remote, home, holder(), 0);

    expect(back).toMatchObject({ outcome: 'copied', serial: 6 });
    expect(await home.read()).toStrictEqual({
      lineage: sampleState().lineage,
      serial: 6,
      destinations: { marts: sampleMarts() },
    });
  });

  it('tells what to do next: have the configuration name the target, the source is left as it was', async () => {
    const local = localStore();
    await local.write(sampleState(1));
    const remote = postgresStore();

    const { nextStep } = await migrateState(local, remote, holder(), 0);

    expect(nextStep).toContain(
      `Make sure the state section of the configuration names ${remote.location}`,
    );
    expect(nextStep).toContain(`${local.location} was left as it was`);
  });

  it('refuses a target that holds another state, and leaves it as it was', async () => {
    const local = localStore();
    await local.write(sampleState(3));
    const remote = postgresStore();
    const other = { ...sampleState(8), lineage: '7c9e6679-7425-40de-944b-e07fc1f90ae7' };
    await remote.write(other);

    const diagnostic = await catchDiagnostic(migrateState(local, remote, holder(), 0));

    expect(diagnostic.summary).toBe('Target of the migration already holds a state');
    expect(diagnostic.detail).toContain(`lineage ${other.lineage}, serial 8`);
    expect(diagnostic.detail).toContain('Nothing was written');
    expect(await remote.read()).toStrictEqual(other);
  });

  it('refuses a target that holds another version of the same state', async () => {
    const remote = postgresStore();
    await remote.write(sampleState(2));
    const local = localStore();
    await local.write(sampleState(4));

    const diagnostic = await catchDiagnostic(migrateState(local, remote, holder(), 0));

    expect(diagnostic.detail).toContain('serial 2, where');
    expect((await remote.read())?.serial).toBe(2);
  });

  it('does nothing when the target already holds this very state', async () => {
    const local = localStore();
    await local.write(sampleState(4));
    const remote = postgresStore();
    await migrateState(local, remote, holder(), 0);

    const again = await migrateState(local, remote, holder(), 0);

    expect(again.outcome).toBe('unchanged');
    expect(await remote.read()).toStrictEqual(sampleState(4));
  });

  it('refuses when the source holds no state', async () => {
    const diagnostic = await catchDiagnostic(
      migrateState(postgresStore(), localStore(), holder(), 0),
    );
    expect(diagnostic.summary).toBe('No state to migrate');
  });

  it('refuses to migrate a state onto itself', async () => {
    const diagnostic = await catchDiagnostic(migrateState(localStore(), localStore(), holder(), 0));
    expect(diagnostic.summary).toBe('Cannot migrate a state onto itself');
  });

  it('refuses while another run holds the target, and gives back the lock it took on the source', async () => {
    const local = localStore();
    await local.write(sampleState(1));
    const key = `k${(keyCount += 1)}`;
    await postgresStore(key).lock(liveHolder('pgdest apply'), 0);

    const diagnostic = await catchDiagnostic(migrateState(local, postgresStore(key), holder(), 0));

    expect(diagnostic.summary).toBe('State is locked');
    expect(diagnostic.detail).toContain('pgdest apply');
    await expect(localStore().lock(liveHolder('pgdest plan'), 0)).resolves.toBeDefined();
  });

  it('gives back both locks once done', async () => {
    const local = localStore();
    await local.write(sampleState(1));
    const key = `k${(keyCount += 1)}`;
    await migrateState(local, postgresStore(key), holder(), 0);

    await expect(localStore().lock(liveHolder('pgdest plan'), 0)).resolves.toBeDefined();
    await expect(postgresStore(key).lock(liveHolder('pgdest plan'), 0)).resolves.toBeDefined();
  });
});
