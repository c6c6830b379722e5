import { accessSync, constants, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { errorDiagnostic, UserError } from '../diagnostics/diagnostic.ts';

/** Where PostgreSQL's server programs are. */
export interface PostgresBinaries {
  bindir: string;
  initdb: string;
  postgres: string;
  pgCtl: string;
}

/**
 * Finds PostgreSQL's server programs (initdb, postgres, pg_ctl): on PATH,
 * then where `pg_config --bindir` says, then the newest
 * /usr/lib/postgresql/N/bin, as Debian and Ubuntu install them. Says how to
 * install them when there are none.
 */
export function findPostgresBinaries(
  env: Readonly<Record<string, string | undefined>> = process.env,
  packagesRoot = '/usr/lib/postgresql',
): PostgresBinaries {
  const candidates = [...(env.PATH ?? '').split(delimiter).filter(Boolean)];
  try {
    candidates.push(
      execFileSync('pg_config', ['--bindir'], {
        encoding: 'utf8',
        env: { ...env },
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim(),
    );
  } catch {
    // No pg_config: the packages for building against PostgreSQL are not installed.
  }
  const versions = safeReaddir(packagesRoot).filter((name) => /^\d+$/.test(name));
  for (const version of versions.sort((a, b) => Number(b) - Number(a)))
    candidates.push(join(packagesRoot, version, 'bin'));

  for (const bindir of candidates) {
    const binaries = {
      bindir,
      initdb: join(bindir, 'initdb'),
      postgres: join(bindir, 'postgres'),
      pgCtl: join(bindir, 'pg_ctl'),
    };
    if ([binaries.initdb, binaries.postgres, binaries.pgCtl].every(isExecutable)) return binaries;
  }
  throw new UserError(
    errorDiagnostic('PostgreSQL server programs not found', {
      detail:
        'pgdest demo starts a throwaway PostgreSQL, and needs initdb, postgres and pg_ctl: none were found on PATH, through pg_config, or under /usr/lib/postgresql/*/bin.',
      hint: 'Install them: `sudo apt-get install postgresql` (Debian, Ubuntu), `brew install postgresql@15` (macOS), or `sudo dnf install postgresql-server` (Fedora); or put their folder on PATH.',
    }),
  );
}

function safeReaddir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
