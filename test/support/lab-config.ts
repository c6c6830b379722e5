import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Lab } from './start-lab.ts';

/** A destination of a lab config, in the config's own words. */
export interface LabDestination {
  user: string;
  /** The environment variable that holds the loader's password. */
  passwordEnv?: string;
  database?: string;
  schema?: string;
  schema_fallback?: 'public' | 'none';
  privileges?: string[];
  on_delete?: 'forget' | 'drop';
  admin?: { user: string; passwordEnv?: string };
  /** Default `disable`: the lab's PostgreSQL serves no TLS unless started with it. */
  ssl?: 'disable' | 'prefer' | 'require' | 'verify-full';
  /** Omit the bastion and connect directly (the host must reach the database). */
  direct?: boolean;
}

/**
 * Writes pgdest.yaml for a lab into `dir` (default the lab's folder): the
 * lab's sshd as bastion `main`, its key file and pinned host key, and the
 * given destinations on the lab's PostgreSQL as the bastion sees it.
 * Returns the file's path.
 */
export async function writeLabConfig(
  lab: Lab,
  destinations: Record<string, LabDestination>,
  options: { dir?: string; file?: string; state?: Record<string, unknown> } = {},
): Promise<string> {
  const config: Record<string, unknown> = {
    version: 1,
    bastions: {
      main: {
        host: lab.sshd.hostFor(lab.network.host),
        port: lab.sshd.port,
        user: lab.sshd.user,
        private_key_file: lab.clientKey.path,
        host_key: lab.sshd.hostKey().fingerprint,
        connect_timeout: '10s',
      },
    },
    destinations: Object.fromEntries(
      Object.entries(destinations).map(([name, d]) => [
        name,
        {
          ...(d.direct ? {} : { bastion: 'main' }),
          database: {
            host: d.direct
              ? lab.postgres.hostFor(lab.network.host)
              : lab.postgres.hostFor(lab.bastionPlace),
            port: lab.postgres.port,
            name: d.database ?? 'postgres',
            user: d.user,
            ...(d.passwordEnv ? { password: `\${env:${d.passwordEnv}}` } : {}),
            ssl: d.ssl ?? 'disable',
          },
          ...(d.schema ? { schema: d.schema } : {}),
          ...(d.schema_fallback ? { schema_fallback: d.schema_fallback } : {}),
          ...(d.privileges ? { privileges: d.privileges } : {}),
          ...(d.on_delete ? { on_delete: d.on_delete } : {}),
          ...(d.admin
            ? {
                admin: {
                  user: d.admin.user,
                  ...(d.admin.passwordEnv ? { password: `\${env:${d.admin.passwordEnv}}` } : {}),
                },
              }
            : {}),
        },
      ]),
    ),
    ...(options.state ? { state: options.state } : {}),
  };
  const path = join(options.dir ?? lab.dir, options.file ?? 'pgdest.yaml');
  await writeFile(path, stringify(config));
  return path;
}
