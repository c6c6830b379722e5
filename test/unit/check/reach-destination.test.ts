import { describe, expect, it } from 'vitest';
import { reachDestination, type TimedSession } from '../../../src/check/reach-destination.ts';
import type { Config } from '../../../src/config/model.ts';
import { SessionPool } from '../../../src/database/session-pool.ts';
import { silentLogger } from '../../../src/diagnostics/logger.ts';
import { TunnelPool } from '../../../src/tunnel/tunnel-pool.ts';
import { generateKey } from '../../support/client-keys.ts';
import { secretOf } from '../../support/model-fixtures.ts';
import { bastionOf, destinationOf } from '../../support/model-builders.ts';
import { createTempDir, removeTempDir } from '../../support/temp-dir.ts';

describe('reachDestination', () => {
  it('names the outer bastion of a chain as the failing hop when nothing listens there, and the rest as not tried', async () => {
    // Port 1 on the loopback address refuses at once: a real failure, no server needed.
    const dir = await createTempDir('reach');
    const key = await generateKey(dir, { type: 'ed25519', name: 'client' });
    const auth = { kind: 'key' as const, privateKey: secretOf(key.privateKey, 'env:BASTION_PEM') };
    const outer = bastionOf({
      auth,
      name: 'outer',
      host: '127.0.0.1',
      port: 1,
      connectTimeoutMs: 2_000,
    });
    const inner = bastionOf({ auth, name: 'inner', host: '10.0.2.7', via: 'outer' });
    const destination = destinationOf('warehouse', { bastion: 'inner' });
    const config = {
      bastions: new Map([
        ['outer', outer],
        ['inner', inner],
      ]),
      destinations: new Map([['warehouse', destination]]),
    } as Config;
    const sessions = new SessionPool(
      new TunnelPool(config.bastions, { logger: silentLogger, agentSocket: '' }),
      { logger: silentLogger },
    );
    try {
      const reach = await reachDestination(config, destination, {
        sessions,
        logins: new Map<string, Promise<TimedSession>>(),
      });
      expect(reach.kind).toBe('failed');
      expect(reach.hops).toEqual([
        {
          kind: 'bastion',
          name: 'outer',
          endpoint: 'tunnel@127.0.0.1:1',
          status: 'failed',
          failure: expect.stringContaining('127.0.0.1'),
        },
        { kind: 'bastion', name: 'inner', endpoint: 'tunnel@10.0.2.7:22', status: 'not-tried' },
        {
          kind: 'database',
          name: 'analytics',
          endpoint: 'loader@10.0.1.5:5432/analytics',
          status: 'not-tried',
        },
      ]);
      expect(reach.kind === 'failed' && reach.diagnostics[0]!.severity).toBe('error');
    } finally {
      await sessions.close();
      await removeTempDir(dir);
    }
  });
});
