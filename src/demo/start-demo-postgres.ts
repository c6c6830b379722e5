import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, open, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { errorDiagnostic, UserError } from '../diagnostics/diagnostic.ts';
import { findPostgresBinaries } from './find-postgres-binaries.ts';
import { asServerUser, findServerUser } from './run-as-server-user.ts';

/** A throwaway PostgreSQL on 127.0.0.1, its superuser trusted on its own socket only. */
export interface DemoPostgres {
  port: number;
  version: string;
  /** Runs SQL as the superuser over the Unix socket. */
  query(sql: string, database?: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts PostgreSQL in `dir`: initdb, then the server on a free port of
 * 127.0.0.1 with scram-sha-256 for TCP logins and no durability (the demo's
 * data is thrown away). As root, it runs as the postgres OS user.
 */
export async function startDemoPostgres(dir: string): Promise<DemoPostgres> {
  const binaries = findPostgresBinaries();
  const user = findServerUser();
  const dataDir = join(dir, 'data');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (user.isOther) await chown(dir, user.uid, user.gid);

  try {
    await promisify(execFile)(
      ...asServerUser(user, binaries.initdb, [
        '-D',
        dataDir,
        '-U',
        'postgres',
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        '--no-sync',
        '--encoding=UTF8',
        '--locale=C',
        '--no-instructions',
      ]),
    );
  } catch (error) {
    const output = String((error as { stderr?: string }).stderr ?? '')
      .trim()
      .split('\n')
      .slice(-3)
      .join(' ');
    throw new UserError(
      errorDiagnostic('initdb failed', {
        detail: `${binaries.initdb} could not create the demo's database in ${dataDir}: ${output || (error as Error).message}`,
        hint: user.isOther
          ? 'PostgreSQL runs as the postgres user, which must be able to reach that folder: set TMPDIR to a folder every user may traverse, such as /tmp.'
          : 'Set TMPDIR to a folder with free space that you may write to.',
      }),
    );
  }
  const port = await findFreePort();
  await writeFile(
    join(dataDir, 'postgresql.auto.conf'),
    [
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${dir}'`,
      'fsync = off',
      'synchronous_commit = off',
      'full_page_writes = off',
      'shared_buffers = 16MB',
      '',
    ].join('\n'),
  );
  if (user.isOther) await chown(join(dataDir, 'postgresql.auto.conf'), user.uid, user.gid);

  const log = await open(join(dir, 'postgres.log'), 'a');
  const server = spawn(...asServerUser(user, binaries.postgres, ['-D', dataDir]), {
    stdio: ['ignore', log.fd, log.fd],
  });
  await log.close();
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  await waitUntilReady(dir, port, server);

  const connect = async (database = 'postgres') => {
    const client = new pg.Client({ host: dir, port, user: 'postgres', database });
    await client.connect();
    return client;
  };
  const version = await (async () => {
    const client = await connect();
    try {
      return (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v"))
        .rows[0]!.v;
    } finally {
      await client.end();
    }
  })();

  return {
    port,
    version,
    async query(sql, database) {
      const client = await connect(database);
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    },
    async stop() {
      if (server.exitCode === null && server.signalCode === null) {
        server.kill('SIGINT'); // fast shutdown
        const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

async function waitUntilReady(
  socketDir: string,
  port: number,
  server: ChildProcess,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (server.exitCode !== null)
      throw new Error(
        `PostgreSQL exited during startup (code ${server.exitCode}); see postgres.log`,
      );
    const client = new pg.Client({ host: socketDir, port, user: 'postgres', database: 'postgres' });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      if (Date.now() > deadline)
        throw new Error('PostgreSQL did not start within 30 s; see postgres.log');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** A port nothing listens on now, on 127.0.0.1. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** Makes `dir` reachable by the server user without opening it to others. */
export async function letServerUserThrough(dir: string): Promise<void> {
  if (findServerUser().isOther) await chmod(dir, 0o711);
}
