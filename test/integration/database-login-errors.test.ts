import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseEndpoint } from '../../src/config/model.ts';
import {
  connectDatabase,
  type ConnectDatabaseOptions,
} from '../../src/database/connect-database.ts';
import { DatabaseConnectionError } from '../../src/database/database-connection-error.ts';
import { TunnelPool } from '../../src/tunnel/tunnel-pool.ts';
import { createCapturingLogger } from '../support/capture-logger.ts';
import { secretOf } from '../support/model-fixtures.ts';
import { findSecrets, renderErrorForUser } from '../support/secret-canary.ts';
import { startLab, type Lab } from '../support/start-lab.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { findFreeLoopbackPort } from '../support/test-network.ts';

/*
 * Every way PostgreSQL refuses a login, produced for real through the tunnel,
 * and the direct-TCP failures. Each error must say which login, where, and
 * what to try, keep what the server sent, and show no password.
 */

const loaderPassword = 'canary-loader-password-5e0b77';
const wrongPassword = 'canary-wrong-password-9c13aa';
const adminPassword = 'canary-admin-password-44d2f0';

let lab: Lab;
let pool: TunnelPool;
let silentServer: TcpProxy;
const logger = createCapturingLogger();
const shownToUser: string[] = [];

beforeAll(async () => {
  lab = await startLab();
  await lab.postgres.createRole('loader', { password: loaderPassword });
  await lab.postgres.createRole('blocked', { password: loaderPassword });
  await lab.postgres.createRole('nologin_role', { password: loaderPassword, login: false });
  await lab.postgres.createDatabase('analytics', { owner: 'loader' });
  await lab.postgres.setHbaRules(['host all blocked 0.0.0.0/0 reject']);
  pool = new TunnelPool(new Map([['main', lab.bastion()]]), { logger });
  // A TCP server that accepts and never says a word, for login timeouts.
  silentServer = await startTcpProxy({ target: { host: '127.0.0.1', port: 9 }, mode: 'blackhole' });
});

afterAll(async () => {
  await silentServer?.close();
  await pool?.close();
  await lab?.stop();
});

function loader(overrides: Partial<DatabaseEndpoint> = {}): DatabaseEndpoint {
  return lab.endpoint({
    name: 'analytics',
    user: 'loader',
    password: secretOf(loaderPassword, 'env:WAREHOUSE_PASSWORD'),
    ...overrides,
  });
}

async function failure(
  endpoint: DatabaseEndpoint,
  options: Partial<ConnectDatabaseOptions> = { tunnels: pool, bastion: 'main' },
) {
  const error = await connectDatabase(endpoint, { logger, ...options }).then(
    async (client) => void (await client.end()),
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(DatabaseConnectionError);
  shownToUser.push(renderErrorForUser(error));
  return error as DatabaseConnectionError;
}

const where = (database: string) =>
  `database "${database}" at ${lab.postgres.hostFor(lab.bastionPlace)}:${lab.postgres.port} through bastion "main"`;

describe('PostgreSQL refusing the login', () => {
  it('says the password was refused and keeps every field the server sent', async () => {
    const error = await failure(
      loader({ password: secretOf(wrongPassword, 'env:WAREHOUSE_PASSWORD') }),
    );

    expect(error.reason).toBe('password-refused');
    expect(error.code).toBe('28P01');
    expect(error.diagnostic.summary).toBe(
      `PostgreSQL refused the login of loader to ${where('analytics')}`,
    );
    expect(error.diagnostic.detail).toContain('password authentication failed for user "loader"');
    expect(error.diagnostic.hint).toContain('env:WAREHOUSE_PASSWORD');
    expect(error.postgres).toMatchObject({
      severity: 'FATAL',
      code: '28P01',
      routine: expect.any(String),
    });
    expect(error.cause).toMatchObject({ code: '28P01' });
  });

  it('gives the same answer for a role that does not exist, and says so', async () => {
    const error = await failure(loader({ user: 'nobody_here' }));

    expect(error.reason).toBe('password-refused');
    expect(error.diagnostic.detail).toContain(
      'both for a wrong password and for a role that does not exist',
    );
    expect(error.diagnostic.hint).toContain('the role nobody_here exists');
  });

  it('says the database does not exist', async () => {
    const error = await failure(loader({ name: 'no_such_db' }));

    expect(error.reason).toBe('database-missing');
    expect(error.code).toBe('3D000');
    expect(error.diagnostic.summary).toBe(
      `Database "no_such_db" does not exist at ${lab.postgres.hostFor(lab.bastionPlace)}:${lab.postgres.port}`,
    );
    expect(error.diagnostic.hint).toContain('CREATE DATABASE "no_such_db"');
  });

  it('says pg_hba.conf refuses the connection', async () => {
    const error = await failure(loader({ user: 'blocked' }));

    expect(error.reason).toBe('hba-refused');
    expect(error.code).toBe('28000');
    expect(error.diagnostic.summary).toBe(
      `pg_hba.conf of the server refuses blocked on ${where('analytics')}`,
    );
    expect(error.diagnostic.detail).toContain('pg_hba.conf rejects connection');
    expect(error.diagnostic.hint).toContain(
      'pg_hba.conf line for user blocked and database analytics',
    );
  });

  it('says the role may not log in', async () => {
    const error = await failure(loader({ user: 'nologin_role' }));

    expect(error.reason).toBe('login-not-permitted');
    expect(error.diagnostic.hint).toContain('ALTER ROLE "nologin_role" LOGIN');
  });

  it('says no password is configured when the server asks for one', async () => {
    const error = await failure(loader({ password: undefined }));

    expect(error.reason).toBe('password-missing');
    expect(error.diagnostic.summary).toBe(
      'PostgreSQL asks loader for a password and none is configured',
    );
  });

  it('names the admin login when it is the one refused', async () => {
    const admin = { user: 'postgres', password: secretOf(adminPassword, 'env:ADMIN_PASSWORD') };
    const error = await failure(loader(), { tunnels: pool, bastion: 'main', login: admin });

    expect(error.diagnostic.summary).toBe(
      `PostgreSQL refused the login of postgres to ${where('analytics')}`,
    );
    expect(error.diagnostic.hint).toContain('env:ADMIN_PASSWORD');
  });
});

describe('a database reached without a bastion', () => {
  it('says the connection was refused when nothing listens', async () => {
    const port = await findFreeLoopbackPort();
    const error = await failure(loader({ host: '127.0.0.1', port }), {});

    expect(error.reason).toBe('database-unreachable');
    expect(error.diagnostic.summary).toBe(`Cannot reach database "analytics" at 127.0.0.1:${port}`);
    expect(error.diagnostic.detail).toContain('ECONNREFUSED');
  });

  it('times out when the server accepts TCP and never answers', async () => {
    const started = performance.now();
    const error = await failure(
      loader({ host: silentServer.host, port: silentServer.port, ssl: 'disable' }),
      { timeouts: { connectMs: 400 } },
    );

    expect(error.reason).toBe('connect-timeout');
    expect(error.diagnostic.summary).toBe(
      `Timed out connecting to database "analytics" at ${silentServer.host}:${silentServer.port}`,
    );
    expect(error.diagnostic.detail).toContain('within 0.4 s');
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('times out while waiting for the answer to the TLS request', async () => {
    const error = await failure(
      loader({ host: silentServer.host, port: silentServer.port, ssl: 'prefer' }),
      { timeouts: { connectMs: 400 } },
    );

    expect(error.reason).toBe('connect-timeout');
  });
});

describe('secrets', () => {
  it('never shows a password in an error or a log line', () => {
    const everything = [...shownToUser, logger.text()].join('\n');

    expect(shownToUser.length).toBeGreaterThanOrEqual(9);
    expect(
      findSecrets(everything, [
        loaderPassword,
        wrongPassword,
        adminPassword,
        lab.postgres.superuser.password,
      ]),
    ).toEqual([]);
  });
});
