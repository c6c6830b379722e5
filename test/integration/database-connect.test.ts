import { readdir, readFile, readlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseEndpoint } from '../../src/config/model.ts';
import {
  connectDatabase,
  type ConnectDatabaseOptions,
} from '../../src/database/connect-database.ts';
import { DatabaseConnectionError } from '../../src/database/database-connection-error.ts';
import { TunnelPool } from '../../src/tunnel/tunnel-pool.ts';
import { createCapturingLogger } from '../support/capture-logger.ts';
import { endpointFor, secretOf } from '../support/model-fixtures.ts';
import { startPostgres, type PostgresCluster } from '../support/postgres-cluster.ts';
import { startLab, type Lab } from '../support/start-lab.ts';
import { generateServerCertificates } from '../support/tls-certificates.ts';

/*
 * What a session looks like once open, and every ssl mode, through the tunnel
 * against a server with TLS and one without, and directly over TCP.
 */

let lab: Lab;
let plain: PostgresCluster;
let direct: PostgresCluster;
let misnamed: PostgresCluster;
let pool: TunnelPool;
let strangerCa: string;
const logger = createCapturingLogger();
const loaderPassword = 'canary-loader-password-81c4';

beforeAll(async () => {
  lab = await startLab({ tls: true });
  [plain, direct, misnamed] = await Promise.all([
    startPostgres({ place: lab.databasePlace, network: lab.network }),
    startPostgres({ place: lab.network.host, network: lab.network }),
    // The lab's authority vouches for this certificate, but it names another host.
    startPostgres({
      place: lab.databasePlace,
      network: lab.network,
      tls: true,
      certificate: {
        names: ['db.example.com'],
        authority: { caPath: lab.postgres.caPath!, caKeyPath: lab.postgres.caKeyPath! },
      },
    }),
  ]);
  await lab.postgres.createRole('loader', { password: loaderPassword });
  strangerCa = (await generateServerCertificates(lab.dir, ['127.0.0.1'])).caPath;
  pool = new TunnelPool(new Map([['main', lab.bastion()]]), { logger });
});

afterAll(async () => {
  await pool?.close();
  await Promise.allSettled([plain?.stop(), direct?.stop(), misnamed?.stop()]);
  await lab?.stop();
});

const throughBastion = (extra: Partial<ConnectDatabaseOptions> = {}): ConnectDatabaseOptions => ({
  logger,
  tunnels: pool,
  bastion: 'main',
  ...extra,
});

async function queryOnce<R extends Record<string, unknown>>(
  endpoint: DatabaseEndpoint,
  sql: string,
  options = throughBastion(),
): Promise<R> {
  const client = await connectDatabase(endpoint, options);
  try {
    return (await client.query<R>(sql)).rows[0]!;
  } finally {
    await client.end();
  }
}

/**
 * The inodes of the TCP sockets this process listens on: those of its file
 * descriptors that /proc/net/tcp and tcp6 list in state 0A (LISTEN).
 */
async function findListeningSockets(): Promise<string[]> {
  const fds = await readdir('/proc/self/fd');
  const links = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
  const own = new Set(links.flatMap((link) => /^socket:\[(\d+)\]$/.exec(link)?.[1] ?? []));
  const tables = await Promise.all(
    ['/proc/net/tcp', '/proc/net/tcp6'].map((path) => readFile(path, 'utf8').catch(() => '')),
  );
  const listening = tables
    .flatMap((table) => table.trim().split('\n').slice(1))
    .map((row) => row.trim().split(/\s+/))
    .filter((fields) => fields[3] === '0A')
    .map((fields) => fields[9]!);
  return listening.filter((inode) => own.has(inode));
}

const sslInUse = 'select ssl from pg_stat_ssl where pid = pg_backend_pid()';

describe('a new session', () => {
  it('starts with an empty search_path, application_name pgdest and the default timeouts', async () => {
    const row = await queryOnce(
      lab.endpoint({ user: 'loader', password: secretOf(loaderPassword) }),
      "select current_user as user, current_setting('search_path') as path, current_schemas(false)::text as schemas, current_setting('application_name') as app, current_setting('statement_timeout') as statement, current_setting('lock_timeout') as lock",
    );

    expect(row).toEqual({
      user: 'loader',
      path: '',
      schemas: '{}',
      app: 'pgdest',
      statement: '30s',
      lock: '5s',
    });
  });

  it('creates nothing by an unqualified name, since no schema is on the search_path', async () => {
    const client = await connectDatabase(lab.endpoint(), throughBastion());
    const error = await client
      .query('create table unqualified (id int)')
      .catch((thrown: { code?: string }) => thrown);
    await client.end();

    expect(error).toMatchObject({ code: '3F000' });
  });

  it('applies the statement and lock timeouts and the application name it is given', async () => {
    const options = throughBastion({
      timeouts: { statementMs: 150, lockMs: 250 },
      applicationName: 'pgdest-check',
    });
    const client = await connectDatabase(lab.endpoint(), options);
    const settings = await client.query(
      "select current_setting('lock_timeout') as lock, current_setting('application_name') as app",
    );
    const slow = await client
      .query('select pg_sleep(2)')
      .catch((thrown: { code?: string }) => thrown);
    await client.end();

    expect(settings.rows[0]).toEqual({ lock: '250ms', app: 'pgdest-check' });
    expect(slow).toMatchObject({ code: '57014' });
  });

  it('logs in as another user than the endpoint names, such as the admin', async () => {
    const endpoint = lab.endpoint({ user: 'loader', password: secretOf(loaderPassword) });
    const admin = {
      user: 'postgres',
      password: secretOf(lab.postgres.superuser.password, 'env:ADMIN_PASSWORD'),
    };
    const row = await queryOnce(
      endpoint,
      'select current_user as user',
      throughBastion({ login: admin }),
    );

    expect(row).toEqual({ user: 'postgres' });
  });

  it('ends cleanly, leaving no session behind on the server', async () => {
    const client = await connectDatabase(
      lab.endpoint(),
      throughBastion({ applicationName: 'pgdest-ending' }),
    );
    await client.end();

    const { rows } = await lab.postgres.query(
      "select count(*)::int as n from pg_stat_activity where application_name = 'pgdest-ending'",
    );
    expect(rows[0]).toEqual({ n: 0 });
  });
});

describe('a tunnelled session', () => {
  it('opens no local listening port: the channel carries it', async () => {
    // The way of looking must see a listener, or seeing none proves nothing.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const withServer = await findListeningSockets();
    await new Promise((resolve) => server.close(resolve));
    expect(withServer).toHaveLength(1);

    const client = await connectDatabase(lab.endpoint(), throughBastion());
    try {
      expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
      expect(await findListeningSockets()).toEqual([]);
    } finally {
      await client.end();
    }
  });
});

describe('ssl modes against a server that offers TLS', () => {
  it.each([
    ['disable', false],
    ['prefer', true],
    ['require', true],
  ] as const)('with ssl: %s the session is encrypted: %s', async (ssl, encrypted) => {
    expect(await queryOnce(lab.endpoint({ ssl }), sslInUse)).toEqual({ ssl: encrypted });
  });

  it('with ssl: verify-full accepts the certificate signed by ssl_root_cert', async () => {
    const endpoint = lab.endpoint({ ssl: 'verify-full', sslRootCert: lab.postgres.caPath! });

    expect(await queryOnce(endpoint, sslInUse)).toEqual({ ssl: true });
  });

  it('with ssl: verify-full refuses a certificate from another authority', async () => {
    const endpoint = lab.endpoint({ ssl: 'verify-full', sslRootCert: strangerCa });
    const error = await connectDatabase(endpoint, throughBastion()).catch(
      (thrown: unknown) => thrown,
    );

    expect(error).toBeInstanceOf(DatabaseConnectionError);
    expect((error as DatabaseConnectionError).reason).toBe('tls-failed');
    expect((error as DatabaseConnectionError).diagnostic.summary).toBe(
      `TLS with the server of database "postgres" at ${lab.postgres.hostFor(lab.bastionPlace)}:${lab.postgres.port} through bastion "main" failed`,
    );
    expect((error as DatabaseConnectionError).diagnostic.hint).toContain('ssl_root_cert');
  });

  it('with ssl: verify-full refuses a certificate from the trusted authority that names another host', async () => {
    const endpoint = endpointFor(misnamed, lab.bastionPlace, {
      ssl: 'verify-full',
      sslRootCert: lab.postgres.caPath!,
    });
    const error = await connectDatabase(endpoint, throughBastion()).catch(
      (thrown: unknown) => thrown,
    );

    expect(error).toBeInstanceOf(DatabaseConnectionError);
    expect((error as DatabaseConnectionError).reason).toBe('tls-failed');
    expect((error as DatabaseConnectionError).diagnostic.summary).toBe(
      `TLS with the server of database "postgres" at ${endpoint.host}:${endpoint.port} through bastion "main" failed`,
    );
    // Node checks the name only once the chain is trusted, so this is the
    // name check refusing, not the authority.
    expect((error as DatabaseConnectionError).diagnostic.detail).toContain(
      `the handshake failed: Hostname/IP does not match certificate's altnames: IP: ${endpoint.host} is not in the cert's list`,
    );
    expect((error as DatabaseConnectionError).diagnostic.hint).toContain(
      'use the host name the certificate names',
    );
  });

  it('with ssl: require accepts the same certificate, checking neither authority nor name', async () => {
    const endpoint = endpointFor(misnamed, lab.bastionPlace, { ssl: 'require' });

    expect(await queryOnce(endpoint, sslInUse)).toEqual({ ssl: true });
  });
});

describe('ssl modes against a server without TLS', () => {
  it('with ssl: prefer goes on without TLS on the same connection', async () => {
    expect(
      await queryOnce(endpointFor(plain, lab.bastionPlace, { ssl: 'prefer' }), sslInUse),
    ).toEqual({ ssl: false });
  });

  it.each(['require', 'verify-full'] as const)(
    'with ssl: %s refuses, saying the server does not offer TLS',
    async (ssl) => {
      const error = await connectDatabase(
        endpointFor(plain, lab.bastionPlace, { ssl }),
        throughBastion(),
      ).catch((thrown: unknown) => thrown);

      expect((error as DatabaseConnectionError).reason).toBe('tls-not-offered');
      expect((error as DatabaseConnectionError).diagnostic.summary).toContain('does not offer TLS');
      expect((error as DatabaseConnectionError).diagnostic.detail).toContain(
        `ssl: ${ssl} requires an encrypted connection`,
      );
    },
  );
});

describe('a destination without a bastion', () => {
  it('connects over TCP directly', async () => {
    const row = await queryOnce(
      endpointFor(direct, lab.network.host),
      "select 1 as one, current_setting('search_path') as path",
      { logger },
    );

    expect(row).toEqual({ one: 1, path: '' });
  });
});
