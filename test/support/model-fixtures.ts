import type { Bastion, DatabaseEndpoint } from '../../src/config/model.ts';
import { Secret } from '../../src/config/secret.ts';
import type { SourceRange } from '../../src/diagnostics/diagnostic.ts';
import type { SshKey } from './client-keys.ts';
import type { PostgresCluster } from './postgres-cluster.ts';
import type { SshdBastion } from './sshd-bastion.ts';
import type { Place } from './test-network.ts';

/** A secret as the config loader would wrap it, read from `env:NAME`. */
export function secretOf(value: string, origin = 'env:PGDEST_TEST_SECRET'): Secret {
  return new Secret(origin, value);
}

/** A source range for models built in tests. */
export function testSource(path: string): SourceRange {
  return { file: 'pgdest.yaml', line: 1, column: 1, endLine: 1, endColumn: 1, path };
}

/**
 * A Bastion model for a running sshd as `seenFrom` reaches it: root with the
 * given key (or the agent), the preferred host key pinned, strict checking,
 * short timeouts. Overrides win.
 */
export function bastionFor(
  sshd: SshdBastion,
  seenFrom: Place,
  login: SshKey | 'agent',
  overrides: Partial<Bastion> = {},
): Bastion {
  const name = overrides.name ?? 'main';
  const auth: Bastion['auth'] =
    login === 'agent'
      ? { kind: 'agent' }
      : {
          kind: 'key',
          privateKey: secretOf(login.privateKey, 'env:BASTION_PEM'),
          ...(login.passphrase === undefined
            ? {}
            : { passphrase: secretOf(login.passphrase, 'env:BASTION_PEM_PASSPHRASE') }),
        };
  return {
    name,
    host: sshd.hostFor(seenFrom),
    port: sshd.port,
    user: sshd.user,
    auth,
    hostKey: sshd.hostKey().fingerprint,
    hostKeyCheck: 'strict',
    connectTimeoutMs: 10_000,
    keepaliveIntervalMs: 15_000,
    source: testSource(`bastions.${name}`),
    ...overrides,
  };
}

/**
 * A DatabaseEndpoint for a running cluster as `seenFrom` reaches it; the
 * superuser unless overridden.
 */
export function endpointFor(
  cluster: PostgresCluster,
  seenFrom: Place,
  overrides: Partial<DatabaseEndpoint> = {},
): DatabaseEndpoint {
  return {
    host: cluster.hostFor(seenFrom),
    port: cluster.port,
    name: 'postgres',
    user: cluster.superuser.user,
    password: secretOf(cluster.superuser.password, 'env:WAREHOUSE_PASSWORD'),
    ssl: 'prefer',
    ...overrides,
  };
}
