import type {
  CheckHop,
  CheckReport,
  DestinationCheck,
  PrivilegeCheck,
} from '../../../src/check/check-report.ts';
import type { Privilege } from '../../../src/config/model.ts';
import type { PrivilegeProbe, ProbeStep } from '../../../src/database/probe-privileges.ts';
import type { ActualDestination, SchemaFacts } from '../../../src/plan/actual.ts';

/** Facts about a schema the loader owns and may use fully, unless overridden. */
export function schemaFactsOf(name = 'kondado', overrides: Partial<SchemaFacts> = {}): SchemaFacts {
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

/** What the catalog query returns for loader `loader` in database `analytics`. */
export function actualOf(
  overrides: {
    schema?: Partial<SchemaFacts>;
    public?: Partial<SchemaFacts>;
    database?: Partial<ActualDestination['database']>;
  } = {},
): ActualDestination {
  return {
    serverVersion: '15.8',
    serverVersionNum: 150008,
    inspectedAs: 'loader',
    loader: { name: 'loader', exists: true, canLogin: true, superuser: false },
    database: { name: 'analytics', connect: true, create: false, ...overrides.database },
    schema: schemaFactsOf('kondado', overrides.schema),
    public: schemaFactsOf('public', {
      owner: 'pg_database_owner',
      create: false,
      ...overrides.public,
    }),
  };
}

const statements: Record<Privilege, string> = {
  CREATE: 'CREATE TABLE "kondado"."pgdest_check_0123456789ab" (id integer)',
  ALTER: 'ALTER TABLE "kondado"."pgdest_check_0123456789ab" ADD COLUMN checked_at timestamptz',
  INSERT: 'INSERT INTO "kondado"."pgdest_check_0123456789ab" (id) VALUES (1)',
  SELECT: 'SELECT id FROM "kondado"."pgdest_check_0123456789ab"',
  DELETE: 'DELETE FROM "kondado"."pgdest_check_0123456789ab"',
  DROP: 'DROP TABLE "kondado"."pgdest_check_0123456789ab"',
};

/** A probe step: ok, refused with `42501 permission denied for schema kondado`, or skipped. */
export function stepOf(
  privilege: Privilege,
  outcome: ProbeStep['outcome'],
  message = 'permission denied for schema kondado',
  code = '42501',
): ProbeStep {
  const statement = statements[privilege];
  if (outcome === 'ok') return { privilege, statement, outcome, elapsedMs: 2 };
  if (outcome === 'skipped') return { privilege, statement, outcome };
  return { privilege, statement, outcome, elapsedMs: 1, error: { message, code } };
}

export function probeOf(steps: ProbeStep[]): PrivilegeProbe {
  return { schema: 'kondado', table: 'pgdest_check_0123456789ab', steps };
}

const bastionHop: CheckHop = {
  kind: 'bastion',
  name: 'main',
  endpoint: 'tunnel@bastion.example.com:22',
  hostKey: 'SHA256:Wm3xq5J7mY0f3lO8pXyQ2mQ3b4r5s6t7u8v9w0x1y2z',
  status: 'ok',
  elapsedMs: 41,
};
const loginHop = (user = 'loader', database = 'analytics'): CheckHop => ({
  kind: 'database',
  name: database,
  endpoint: `${user}@10.0.1.5:5432/${database}`,
  status: 'ok',
  elapsedMs: 12,
});
const allOk = (schema: string): PrivilegeCheck[] =>
  (['CREATE', 'ALTER', 'INSERT', 'SELECT', 'DELETE', 'DROP'] as const).map((privilege, index) => ({
    privilege,
    status: 'ok',
    statement: statements[privilege].replace('"kondado"', `"${schema}"`),
    elapsedMs: index + 1,
  }));

function destinationCheckOf(name: string, overrides: Partial<DestinationCheck>): DestinationCheck {
  return {
    name,
    address: `destination.${name}`,
    login: 'loader',
    reachable: true,
    ready: true,
    hops: [bastionHop, loginHop()],
    serverVersion: '15.8',
    schema: { declared: 'kondado', effective: 'kondado', fallback: false, owner: 'loader' },
    privileges: allOk('kondado'),
    foreignTables: { names: [], count: 0 },
    elapsedMs: 63,
    diagnostics: [],
    ...overrides,
  };
}

/**
 * A report of five destinations with fixed timings: ready with tables it
 * does not own; ready in public after the fallback, as state recorded;
 * failing on CREATE; ready without a bastion; unreachable at the second
 * bastion of a chain.
 */
export function sampleReport(): CheckReport {
  const createFailed: PrivilegeCheck[] = [
    {
      privilege: 'CREATE',
      status: 'failed',
      statement: statements.CREATE.replace('"kondado"', '"billing"'),
      elapsedMs: 1,
      error: { message: 'permission denied for schema billing', code: '42501' },
      reason: 'loader lacks CREATE on schema "billing", so it cannot create tables in it.',
      grant: 'GRANT CREATE ON SCHEMA "billing" TO "loader";',
      hint: 'Ask "finance", who owns schema "billing", or a superuser to run: GRANT CREATE ON SCHEMA "billing" TO "loader";',
    },
    ...(['ALTER', 'INSERT', 'SELECT', 'DELETE', 'DROP'] as const).map(
      (privilege): PrivilegeCheck => ({
        privilege,
        status: 'not-proven',
        statement: statements[privilege].replace('"kondado"', '"billing"'),
        reason: 'There is no table to try it on, since creating one failed.',
        hint: 'Fix CREATE first, then check again.',
      }),
    ),
  ];
  return {
    diagnostics: [],
    destinations: [
      destinationCheckOf('warehouse', {
        foreignTables: { names: ['legacy_orders', 'manual_fixes'], count: 3 },
      }),
      destinationCheckOf('events', {
        login: 'events_loader',
        hops: [bastionHop, loginHop('events_loader')],
        schema: {
          declared: 'events_raw',
          effective: 'public',
          fallback: true,
          owner: 'pg_database_owner',
          recorded: { effective: 'public', fallback: true, agrees: true },
        },
        privileges: allOk('public'),
        elapsedMs: 58,
      }),
      destinationCheckOf('billing', {
        ready: false,
        schema: { declared: 'billing', effective: 'billing', fallback: false, owner: 'finance' },
        privileges: createFailed,
        elapsedMs: 71,
      }),
      destinationCheckOf('local', {
        hops: [
          { ...loginHop('loader', 'local'), endpoint: 'loader@127.0.0.1:5432/local', elapsedMs: 4 },
        ],
        elapsedMs: 15,
      }),
      destinationCheckOf('gamma', {
        reachable: false,
        ready: false,
        hops: [
          { ...bastionHop, name: 'outer', endpoint: 'tunnel@outer.example.com:22' },
          {
            kind: 'bastion',
            name: 'inner',
            endpoint: 'tunnel@10.0.2.7:22',
            status: 'failed',
            failure: 'SSH authentication refused by bastion "inner" (tunnel@10.0.2.7:22)',
          },
          { ...loginHop(), status: 'not-tried', elapsedMs: undefined },
        ],
        serverVersion: undefined,
        schema: undefined,
        privileges: (['CREATE', 'ALTER', 'INSERT', 'SELECT', 'DELETE', 'DROP'] as const).map(
          (privilege) => ({
            privilege,
            status: 'not-proven',
            reason: 'Not tried: tunnel@10.0.2.7:22 failed.',
          }),
        ),
        elapsedMs: 120,
        diagnostics: [
          {
            severity: 'error',
            summary: 'SSH authentication refused by bastion "inner" (tunnel@10.0.2.7:22)',
            detail: 'The bastion refused the key.',
            hint: 'Check the key.',
            address: 'destination.gamma',
          },
        ],
      }),
    ],
  };
}
