// The machine the benchmark runs against: the test support's lab (host ->
// OpenSSH sshd bastion -> PostgreSQL reachable only from the bastion), the
// warehouse databases and their loader roles, and a delaying TCP proxy in
// front of the bastion that stands in for a WAN link.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startLab, type Lab } from '../test/support/start-lab.ts';
import { startTcpProxy, type TcpProxy } from '../test/support/tcp-proxy.ts';

/** One warehouse database and the loader role a pipeline writes into it with. */
export interface Warehouse {
  database: string;
  loader: string;
  /** The environment variable that holds the loader's password. */
  passwordEnv: string;
  password: string;
}

export interface BenchLab {
  readonly lab: Lab;
  readonly proxy: TcpProxy;
  readonly warehouses: readonly Warehouse[];
  /** The database's address and port as the bastion sees it. */
  readonly databaseHost: string;
  readonly databasePort: number;
  /** An OpenSSH known_hosts file that names the bastion's key at the proxy's address. */
  readonly knownHostsPath: string;
  /** The environment every client needs: the loaders' passwords by variable. */
  readonly environment: Record<string, string>;
  /** Logins PostgreSQL has authorized so far (its log_connections lines). */
  countLogins(): Promise<number>;
  stop(): Promise<void>;
}

export interface BenchLabOptions {
  /** How many warehouse databases, each with its own loader. */
  warehouses: number;
  /** Whether PostgreSQL serves TLS, as most production servers do. */
  tls: boolean;
}

/**
 * Starts the lab, creates the warehouses (a database and a loader role that
 * may create schemas in it, as a pipeline's login usually may), and puts a
 * proxy with no delay in front of the bastion; `proxy.setDelay` sets the
 * one-way delay for the connections opened after it.
 */
export async function startBenchLab(options: BenchLabOptions): Promise<BenchLab> {
  // sshd's MaxStartups would drop concurrent handshakes; the baseline is
  // sequential and pgdest opens one connection, so the default of the lab is
  // kept. PostgreSQL's max_connections of the lab (150) is enough for
  // pgdest's one session per warehouse and the baseline's one at a time.
  const lab = await startLab({ tls: options.tls });
  try {
    const warehouses: Warehouse[] = [];
    for (let index = 0; index < options.warehouses; index++) {
      const warehouse: Warehouse = {
        database: `warehouse_${index}`,
        loader: `loader_${index}`,
        passwordEnv: `BENCH_LOADER_${index}_PASSWORD`,
        password: `loader-${index}-secret`,
      };
      await lab.postgres.createRole(warehouse.loader, { password: warehouse.password });
      await lab.postgres.createDatabase(warehouse.database);
      await lab.postgres.query(
        `GRANT CONNECT, CREATE ON DATABASE ${warehouse.database} TO ${warehouse.loader}`,
      );
      warehouses.push(warehouse);
    }

    const bastionHost = lab.sshd.hostFor(lab.network.host);
    const proxy = await startTcpProxy({ target: { host: bastionHost, port: lab.sshd.port } });
    const knownHostsPath = join(lab.dir, 'known_hosts');
    await writeFile(
      knownHostsPath,
      `[${proxy.host}]:${proxy.port} ${lab.sshd.hostKey().publicKey}\n`,
    );

    return {
      lab,
      proxy,
      warehouses,
      databaseHost: lab.postgres.hostFor(lab.bastionPlace),
      databasePort: lab.postgres.port,
      knownHostsPath,
      environment: Object.fromEntries(warehouses.map((w) => [w.passwordEnv, w.password])),
      countLogins: async () =>
        ((await readFile(lab.postgres.logPath, 'utf8')).match(/connection authorized: /g) ?? [])
          .length,
      async stop() {
        await proxy.close();
        await lab.stop();
      },
    };
  } catch (error) {
    await lab.stop();
    throw error;
  }
}
