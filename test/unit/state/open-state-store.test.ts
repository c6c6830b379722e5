import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/diagnostics/logger.ts';
import { openStateStore } from '../../../src/state/open-state-store.ts';
import { catchDiagnosticSync, sampleState } from './sample-state.ts';

describe('openStateStore', () => {
  it('opens the local file the configuration names', async () => {
    const root = await mkdtemp(join(tmpdir(), 'pgdest-open-'));
    try {
      const path = join(root, 'custom', 'state.json');
      const store = openStateStore({ backend: 'local', path }, silentLogger);
      await store.write(sampleState(1));

      expect(store.location).toBe(path);
      expect(await openStateStore({ backend: 'local', path }, silentLogger).read()).toStrictEqual(
        sampleState(1),
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('says plainly that the postgres backend is not available yet', () => {
    const settings = {
      backend: 'postgres' as const,
      database: { host: 'db', port: 5432, name: 'ops', user: 'pgdest', ssl: 'prefer' as const },
      schema: 'pgdest',
      key: 'default',
    };

    const diagnostic = catchDiagnosticSync(() => openStateStore(settings, silentLogger));

    expect(diagnostic.summary).toBe('The postgres state backend is not available yet');
    expect(diagnostic.hint).toContain('state.backend: local');
  });
});
