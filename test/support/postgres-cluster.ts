import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { createTempDir, removeTempDir } from './temp-dir.ts';
import { findPostgres } from './find-postgres.ts';
import { runCommand } from './run-command.ts';
import { asServerUser, findServerUser, giveToServerUser } from './server-user.ts';
import { startServerProcess, type ServerProcess } from './server-process.ts';
import { generateServerCertificates, type TestCertificates } from './tls-certificates.ts';
import type { Place, TestNetwork } from './test-network.ts';

export interface PostgresOptions {
  /** Where the server runs; it listens on every address of that place. */
  place: Place;
  /** The network the place belongs to, for the addresses a TLS certificate must name. */
  network: TestNetwork;
  /**
   * Serve TLS with a certificate from a throwaway CA naming the place's
   * addresses, 127.0.0.1 and localhost.
   */
  tls?: boolean;
  /**
   * With tls: the names the certificate gives instead, and the authority that
   * signs it instead of a new one (another cluster's, to make a certificate
   * that authority vouches for but that names another host).
   */
  certificate?: {
    names?: readonly string[];
    authority?: Pick<TestCertificates, 'caPath' | 'caKeyPath'>;
  };
  /** Extra postgresql.conf settings. */
  settings?: Record<string, string | number>;
}

/**
 * A throwaway PostgreSQL cluster; the superuser reaches it through a Unix
 * socket from any place.
 */
export interface PostgresCluster {
  readonly place: Place;
  readonly port: number;
  /** The folder of the Unix socket; socket logins are trusted. */
  readonly socketDir: string;
  readonly logPath: string;
  /** The superuser's name and password, for TCP logins (scram-sha-256). */
  readonly superuser: { user: string; password: string };
  /** The CA certificate's path when started with `tls`. */
  readonly caPath: string | undefined;
  /** The CA's private key when started with `tls`, to sign other certificates with. */
  readonly caKeyPath: string | undefined;
  /** The server's address as seen from another place. */
  hostFor(seenFrom: Place): string;
  /** Runs SQL as the superuser over the Unix socket, in `database` (default `postgres`). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    params?: unknown[],
    database?: string,
  ): Promise<pg.QueryResult<R>>;
  /** A new superuser session over the Unix socket; the caller ends it. */
  connectAsSuperuser(database?: string): Promise<pg.Client>;
  /** Creates a login role (with a password when given). */
  createRole(
    name: string,
    options?: { password?: string; login?: boolean; superuser?: boolean },
  ): Promise<void>;
  createDatabase(name: string, options?: { owner?: string }): Promise<void>;
  /**
   * Puts these pg_hba.conf lines before the default ones (replacing earlier
   * extra lines) and reloads.
   */
  setHbaRules(lines: readonly string[]): Promise<void>;
  /** Stops the server (fast shutdown) and removes its files. */
  stop(): Promise<void>;
}

const defaultRules = [
  'local all all trust',
  'host all all 0.0.0.0/0 scram-sha-256',
  'host all all ::/0 scram-sha-256',
];

/**
 * Starts a throwaway PostgreSQL cluster: initdb into a temp folder, settings
 * chosen for speed over durability (fsync off), scram-sha-256 for every TCP
 * login, trust on the Unix socket for the test's own superuser session. As
 * root, it runs as the postgres OS user. Takes about a second.
 */
export async function startPostgres(options: PostgresOptions): Promise<PostgresCluster> {
  const binaries = await findPostgres();
  const user = await findServerUser();
  const dir = await createTempDir('postgres');
  const dataDir = join(dir, 'data');
  const socketDir = join(dir, 'socket');
  const logPath = join(dir, 'postgres.log');
  const password = `super-${randomBytes(9).toString('hex')}`;
  const passwordFile = join(dir, 'superuser-password');

  // initdb as the server user, which must own the data folder.
  await mkdir(socketDir, { mode: 0o755 });
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  for (const path of [dir, socketDir, passwordFile]) await giveToServerUser(user, path);
  await runCommand(
    ...asServerUser(user, binaries.initdb, [
      '-D',
      dataDir,
      '-U',
      'postgres',
      `--pwfile=${passwordFile}`,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '--no-sync',
      '--encoding=UTF8',
      '--locale=C',
      '--no-instructions',
    ]),
  );

  const port = await options.place.allocatePort(5432);
  const tls: Partial<TestCertificates> = options.tls ? await prepareTls(dir, options, user) : {};
  await writeSettings(dataDir, {
    port,
    socketDir,
    listen: options.place.listenAddress,
    ...tls,
    extra: options.settings ?? {},
  });
  await writeFile(join(dataDir, 'pg_hba.conf'), `${defaultRules.join('\n')}\n`);

  const server = await startServerProcess({
    name: 'postgres',
    command: options.place.wrap(...asServerUser(user, binaries.postgres, ['-D', dataDir])),
    logPath,
    isReady: () => canConnect(socketDir, port),
  });
  return describeCluster({
    options,
    server,
    dir,
    dataDir,
    socketDir,
    logPath,
    port,
    password,
    caPath: tls.caPath,
    caKeyPath: tls.caKeyPath,
  });
}

async function prepareTls(
  dir: string,
  options: PostgresOptions,
  user: Awaited<ReturnType<typeof findServerUser>>,
) {
  const names = options.certificate?.names ?? [
    ...options.network.addressesOf(options.place),
    '127.0.0.1',
    'localhost',
  ];
  const certificates = await generateServerCertificates(
    dir,
    [...new Set(names)],
    options.certificate?.authority,
  );
  await chmod(certificates.keyPath, 0o600);
  await giveToServerUser(user, certificates.keyPath);
  await giveToServerUser(user, certificates.certPath);
  return {
    caPath: certificates.caPath,
    caKeyPath: certificates.caKeyPath,
    certPath: certificates.certPath,
    keyPath: certificates.keyPath,
  };
}

async function writeSettings(
  dataDir: string,
  settings: {
    port: number;
    socketDir: string;
    listen: string;
    certPath?: string;
    keyPath?: string;
    extra: Record<string, string | number>;
  },
): Promise<void> {
  const values: Record<string, string | number> = {
    listen_addresses: settings.listen,
    port: settings.port,
    unix_socket_directories: settings.socketDir,
    // Durability buys nothing in a throwaway cluster and costs startup time.
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    shared_buffers: '16MB',
    max_connections: 150,
    password_encryption: 'scram-sha-256',
    logging_collector: 'off',
    log_connections: 'on',
    log_disconnections: 'on',
    ...(settings.certPath === undefined
      ? {}
      : { ssl: 'on', ssl_cert_file: settings.certPath, ssl_key_file: settings.keyPath! }),
    ...settings.extra,
  };
  const lines = Object.entries(values).map(
    ([name, value]) => `${name} = ${typeof value === 'number' ? value : `'${value}'`}`,
  );
  await writeFile(join(dataDir, 'postgresql.auto.conf'), `${lines.join('\n')}\n`);
}

async function canConnect(socketDir: string, port: number): Promise<boolean> {
  const client = new pg.Client({ host: socketDir, port, user: 'postgres', database: 'postgres' });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

function describeCluster(parts: {
  options: PostgresOptions;
  server: ServerProcess;
  dir: string;
  dataDir: string;
  socketDir: string;
  logPath: string;
  port: number;
  password: string;
  caPath: string | undefined;
  caKeyPath: string | undefined;
}): PostgresCluster {
  const { options, socketDir, port } = parts;
  const connectAsSuperuser = async (database = 'postgres'): Promise<pg.Client> => {
    const client = new pg.Client({ host: socketDir, port, user: 'postgres', database });
    client.on('error', () => {});
    await client.connect();
    return client;
  };
  const query = async <R extends pg.QueryResultRow>(
    sql: string,
    params: unknown[] = [],
    database = 'postgres',
  ) => {
    const client = await connectAsSuperuser(database);
    try {
      return await client.query<R>(sql, params);
    } finally {
      await client.end();
    }
  };
  const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

  return {
    place: options.place,
    port,
    socketDir,
    logPath: parts.logPath,
    superuser: { user: 'postgres', password: parts.password },
    caPath: parts.caPath,
    caKeyPath: parts.caKeyPath,
    hostFor: (seenFrom) => options.network.addressOf(options.place, seenFrom),
    query,
    connectAsSuperuser,
    async createRole(name, roleOptions = {}) {
      const attributes = [
        roleOptions.login === false ? 'NOLOGIN' : 'LOGIN',
        roleOptions.superuser ? 'SUPERUSER' : '',
      ];
      const password =
        roleOptions.password === undefined
          ? ''
          : ` PASSWORD '${roleOptions.password.replace(/'/g, "''")}'`;
      await query(`CREATE ROLE ${quote(name)} ${attributes.join(' ')}${password}`);
    },
    async createDatabase(name, databaseOptions = {}) {
      const owner =
        databaseOptions.owner === undefined ? '' : ` OWNER ${quote(databaseOptions.owner)}`;
      await query(`CREATE DATABASE ${quote(name)}${owner}`);
    },
    async setHbaRules(lines) {
      await writeFile(
        join(parts.dataDir, 'pg_hba.conf'),
        `${[...lines, ...defaultRules].join('\n')}\n`,
      );
      // The postmaster rereads pg_hba.conf when it handles SIGHUP, a moment
      // after pg_reload_conf returns; wait until the log says so.
      const reloads = await countReloads(parts.logPath);
      await query('SELECT pg_reload_conf()');
      await waitForReload(parts.logPath, reloads);
    },
    async stop() {
      await parts.server.stop('SIGINT');
      await removeTempDir(parts.dir);
    },
  };
}

async function countReloads(logPath: string): Promise<number> {
  const log = await readFile(logPath, 'utf8').catch(() => '');
  return (log.match(/received SIGHUP, reloading configuration files/g) ?? []).length;
}

async function waitForReload(logPath: string, before: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await countReloads(logPath)) > before) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`PostgreSQL did not log a reload within 2 s; see ${logPath}`);
}
