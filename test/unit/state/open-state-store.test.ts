import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StateSettings } from '../../../src/config/model.ts';
import { silentLogger } from '../../../src/diagnostics/logger.ts';
import { openStateStore } from '../../../src/state/open-state-store.ts';
import { PostgresStateStore } from '../../../src/state/postgres-state-store.ts';
import { sampleState } from './sample-state.ts';

const postgresSettings = (
  overrides: Partial<Extract<StateSettings, { backend: 'postgres' }>> = {},
): StateSettings => ({
  backend: 'postgres',
  database: { host: 'db.internal', port: 5432, name: 'ops', user: 'pgdest', ssl: 'prefer' },
  schema: 'pgdest',
  key: 'default',
  ...overrides,
});

describe('openStateStore', () => {
  it('opens the local file the configuration names', async () => {
    const root = await mkdtemp(join(tmpdir(), 'pgdest-open-'));
    try {
      const path = join(root, 'custom', 'state.json');
      const store = openStateStore({ backend: 'local', path }, { logger: silentLogger });
      await store.write(sampleState(1));
      await store.close();

      expect(store.location).toBe(path);
      expect(
        await openStateStore({ backend: 'local', path }, { logger: silentLogger }).read(),
      ).toStrictEqual(sampleState(1));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('opens the postgres store without connecting, named after the database and the key', async () => {
    const store = openStateStore(postgresSettings({ key: 'marts' }), { logger: silentLogger });

    expect(store).toBeInstanceOf(PostgresStateStore);
    expect(store.location).toBe('postgres://db.internal:5432/ops#marts');
    await store.close();
  });

  it('names a schema other than pgdest in the location', () => {
    const store = openStateStore(postgresSettings({ schema: 'ops_state' }), {
      logger: silentLogger,
    });
    expect(store.location).toBe('postgres://db.internal:5432/ops#default (schema "ops_state")');
  });

  it('brackets an IPv6 host in the location', () => {
    const settings = postgresSettings();
    if (settings.backend === 'postgres') settings.database.host = 'fd00::5';
    expect(openStateStore(settings, { logger: silentLogger }).location).toBe(
      'postgres://[fd00::5]:5432/ops#default',
    );
  });

  it('refuses, as a bug, a state behind a bastion without the tunnel pool', () => {
    expect(() =>
      openStateStore(postgresSettings({ bastion: 'main' }), { logger: silentLogger }),
    ).toThrow(/needs the tunnel pool/);
  });
});
