import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from './run-command.ts';

/** Where the PostgreSQL server programs (initdb, postgres) are. */
export interface PostgresBinaries {
  bindir: string;
  initdb: string;
  postgres: string;
}

let cached: Promise<PostgresBinaries> | undefined;

/**
 * Finds PostgreSQL's server programs: PGDEST_TEST_PG_BINDIR when set, then
 * /usr/lib/postgresql/15/bin (the version the project targets), then the
 * newest other /usr/lib/postgresql/N/bin, then `pg_config --bindir`, then PATH.
 */
export function findPostgres(): Promise<PostgresBinaries> {
  cached ??= searchPostgres();
  return cached;
}

async function searchPostgres(): Promise<PostgresBinaries> {
  const candidates: string[] = [];
  if (process.env.PGDEST_TEST_PG_BINDIR) candidates.push(process.env.PGDEST_TEST_PG_BINDIR);
  candidates.push('/usr/lib/postgresql/15/bin');
  const versions = await readdir('/usr/lib/postgresql').catch(() => [] as string[]);
  for (const version of versions.sort((a, b) => Number(b) - Number(a))) {
    candidates.push(`/usr/lib/postgresql/${version}/bin`);
  }
  const fromPgConfig = await runCommand('pg_config', ['--bindir'], { allowFailure: true }).catch(
    () => undefined,
  );
  if (fromPgConfig?.code === 0) candidates.push(fromPgConfig.stdout.trim());
  const fromPath = await runCommand('sh', ['-c', 'dirname "$(command -v initdb)"'], {
    allowFailure: true,
  });
  if (fromPath.code === 0 && fromPath.stdout.trim() !== '.') {
    candidates.push(fromPath.stdout.trim());
  }

  for (const bindir of candidates) {
    const initdb = join(bindir, 'initdb');
    const postgres = join(bindir, 'postgres');
    if ((await isExecutable(initdb)) && (await isExecutable(postgres))) {
      return { bindir, initdb, postgres };
    }
  }
  throw new Error(
    `PostgreSQL server programs not found (looked in ${candidates.join(', ')}); install postgresql-15 or set PGDEST_TEST_PG_BINDIR`,
  );
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, 1);
    return true;
  } catch {
    return false;
  }
}
