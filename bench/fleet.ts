// A fleet of destinations spread over the warehouses, written out twice: as
// a pgdest configuration, and as the table the baseline script reads.
import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import type { BenchLab, Warehouse } from './start-bench-lab.ts';

/** One destination of the fleet: a schema in a warehouse, written by its loader. */
export interface FleetDestination {
  name: string;
  warehouse: Warehouse;
  schema: string;
}

export type SslMode = 'disable' | 'prefer' | 'require';

/**
 * N destinations, dealt round-robin over the warehouses: destination i
 * writes into schema pipeline_i of warehouse i mod W, as that warehouse's
 * loader.
 */
export function describeFleet(size: number, warehouses: readonly Warehouse[]): FleetDestination[] {
  return Array.from({ length: size }, (_, index) => ({
    name: `dest-${String(index).padStart(4, '0')}`,
    warehouse: warehouses[index % warehouses.length]!,
    schema: `pipeline_${index}`,
  }));
}

/**
 * Writes the pgdest configuration of a fleet: one bastion, reached through
 * the delaying proxy with the bastion's own host key pinned, and every
 * destination behind it. `ssl` undefined leaves the default (prefer), as a
 * user who does not think about it would.
 */
export async function writeFleetConfig(
  bench: BenchLab,
  fleet: readonly FleetDestination[],
  path: string,
  ssl: SslMode | undefined,
): Promise<void> {
  const config = {
    version: 1,
    bastions: {
      main: {
        host: bench.proxy.host,
        port: bench.proxy.port,
        user: bench.lab.sshd.user,
        private_key_file: bench.lab.clientKey.path,
        host_key: bench.lab.sshd.hostKey().fingerprint,
      },
    },
    destinations: Object.fromEntries(
      fleet.map((destination) => [
        destination.name,
        {
          bastion: 'main',
          database: {
            host: bench.databaseHost,
            port: bench.databasePort,
            name: destination.warehouse.database,
            user: destination.warehouse.loader,
            password: `\${env:${destination.warehouse.passwordEnv}}`,
            ...(ssl === undefined ? {} : { ssl }),
          },
          schema: destination.schema,
        },
      ]),
    ),
  };
  await writeFile(path, stringify(config));
}

/**
 * Writes the baseline's table: one line per destination, tab-separated:
 * database host, port, database, user, the variable holding the password,
 * and schema.
 */
export async function writeFleetTable(
  bench: BenchLab,
  fleet: readonly FleetDestination[],
  path: string,
): Promise<void> {
  const lines = fleet.map((d) =>
    [
      bench.databaseHost,
      bench.databasePort,
      d.warehouse.database,
      d.warehouse.loader,
      d.warehouse.passwordEnv,
      d.schema,
    ].join('\t'),
  );
  await writeFile(path, `${lines.join('\n')}\n`);
}

/** Drops every schema of the fleet, so that the next apply creates them all again. */
export async function dropFleetSchemas(
  bench: BenchLab,
  fleet: readonly FleetDestination[],
): Promise<void> {
  for (const warehouse of bench.warehouses) {
    const schemas = fleet.filter((d) => d.warehouse === warehouse).map((d) => d.schema);
    if (schemas.length === 0) continue;
    await bench.lab.postgres.query(
      `DROP SCHEMA IF EXISTS ${schemas.map((s) => `"${s}"`).join(', ')} CASCADE`,
      [],
      warehouse.database,
    );
  }
}
