import type { Config, Destination } from '../../../src/config/model.ts';
import type { ActualDestination, SchemaFacts } from '../../../src/plan/actual.ts';
import type { DestinationState, State } from '../../../src/state/state.ts';
import { bastionOf, destinationOf } from '../../support/model-builders.ts';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** A schema's facts: by default it exists and the loader may do everything in it. */
export function schemaFacts(name: string, overrides: Partial<SchemaFacts> = {}): SchemaFacts {
  return {
    name,
    exists: true,
    owner: 'loader',
    usage: true,
    create: true,
    foreignTables: [],
    foreignTableCount: 0,
    ...overrides,
  };
}

/** The actual state of a healthy destination: the loader exists, owns its schema and may create. */
export function actualOf(
  schema = 'kondado',
  overrides: DeepPartial<ActualDestination> = {},
): ActualDestination {
  const base: ActualDestination = {
    serverVersion: '15.18',
    serverVersionNum: 150018,
    inspectedAs: 'loader',
    loader: { name: 'loader', exists: true, canLogin: true, superuser: false },
    database: { name: 'analytics', connect: true, create: true },
    schema: schemaFacts(schema),
    public: schemaFacts('public', { owner: 'pg_database_owner', create: false }),
  };
  return {
    ...base,
    ...overrides,
    loader: { ...base.loader, ...overrides.loader },
    database: { ...base.database, ...overrides.database },
    schema: { ...base.schema, ...overrides.schema } as SchemaFacts,
    public: { ...base.public, ...overrides.public } as SchemaFacts,
  };
}

export function configOf(...destinations: Destination[]): Config {
  const bastion = bastionOf();
  return {
    bastions: new Map([[bastion.name, bastion]]),
    destinations: new Map(destinations.map((d) => [d.name, d])),
    state: { backend: 'local', path: '/tmp/state.json' },
    files: ['/configs/pgdest.yaml'],
    baseDir: '/configs',
    digest: 'sha256:fixture',
  };
}

export function priorEntry(overrides: Partial<DestinationState> = {}): DestinationState {
  return {
    bastion: {
      name: 'main',
      endpoint: 'tunnel@bastion.example.com:22',
      hostKey: 'SHA256:Wm3xq5J7mY0f3lO8pXyQ2mQ3b4r5s6t7u8v9w0x1y2z',
    },
    database: {
      host: '10.0.1.5',
      port: 5432,
      name: 'analytics',
      user: 'loader',
      passwordFrom: 'env:WAREHOUSE_PASSWORD',
    },
    schema: { requested: 'kondado', effective: 'kondado', fallback: false },
    privileges: ['CREATE', 'ALTER', 'INSERT', 'SELECT', 'DELETE', 'DROP'],
    onDelete: 'forget',
    serverVersion: '15.18',
    appliedAt: '2026-12-01T10:00:00.000Z',
    ...overrides,
  };
}

export function stateOf(destinations: Record<string, DestinationState>): State {
  return { lineage: '3f1d2c4b-8a7e-4f60-9b1a-2d5c6e7f8a90', serial: 4, destinations };
}

export { destinationOf };
