import type { Bastion, Destination } from '../../src/config/model.ts';
import { Secret } from '../../src/config/secret.ts';
import { testSource } from './model-fixtures.ts';

/** A bastion model as loading `bastions.main` of the examples would give. */
export function bastionOf(overrides: Partial<Bastion> = {}): Bastion {
  return {
    name: 'main',
    host: 'bastion.example.com',
    port: 22,
    user: 'tunnel',
    auth: { kind: 'key', privateKey: new Secret('env:BASTION_PEM', 'fixture-key') },
    hostKey: 'SHA256:Wm3xq5J7mY0f3lO8pXyQ2mQ3b4r5s6t7u8v9w0x1y2z',
    hostKeyCheck: 'strict',
    connectTimeoutMs: 20_000,
    keepaliveIntervalMs: 15_000,
    source: testSource('bastions.main'),
    ...overrides,
  };
}

/** A destination model behind bastion `main`, loader `loader`, all six privileges. */
export function destinationOf(
  name = 'warehouse',
  overrides: Partial<Destination> = {},
): Destination {
  return {
    name,
    address: `destination.${name}`,
    bastion: 'main',
    database: {
      host: '10.0.1.5',
      port: 5432,
      name: 'analytics',
      user: 'loader',
      password: new Secret('env:WAREHOUSE_PASSWORD', 'fixture-password'),
      ssl: 'prefer',
    },
    schema: 'kondado',
    schemaFallback: 'public',
    privileges: ['DROP', 'INSERT', 'CREATE', 'ALTER', 'SELECT', 'DELETE'],
    onDelete: 'forget',
    source: testSource(`destinations.${name}`),
    ...overrides,
  };
}
