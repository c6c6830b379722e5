import { isAbsolute, resolve } from 'node:path';
import type { Diagnostic, SourceRange } from '../diagnostics/diagnostic.ts';
import { Secret } from './secret.ts';

/** What loading may read from the machine: injected so that tests control it. */
export interface Environment {
  env: Readonly<Record<string, string | undefined>>;
  homeDir: string;
  readFile(path: string): string;
  fileExists(path: string): boolean;
}

/**
 * Whether a secret that cannot be read is a warning (`offline`: validate,
 * which never connects) or an error (`connect`: commands that need it).
 */
export type SecretMode = 'offline' | 'connect';

const reference = /^\$\{(env|file):([^}]*)\}$/;

/** Where a secret is written: its key, and how to find its place should a problem need it. */
export interface SecretPlace {
  key: string;
  locate(): SourceRange;
  baseDir: string;
}

/**
 * Reads a secret written `${env:NAME}`, `${file:PATH}` or literally. The
 * diagnostics never hold the value, only where it comes from.
 */
export function resolveSecret(
  raw: string,
  where: SecretPlace & { mode: SecretMode },
  environment: Environment,
): { secret: Secret; diagnostics: Diagnostic[] } {
  const severity = where.mode === 'connect' ? 'error' : 'warning';
  const { key } = where;
  const match = reference.exec(raw);

  if (!match) {
    if (raw.includes('${')) {
      return {
        secret: new Secret('literal', undefined, 'malformed reference'),
        diagnostics: [
          {
            severity: 'error',
            summary: `Malformed secret reference in ${key}`,
            detail:
              'A secret reference is the whole value, written `${env:NAME}` or `${file:PATH}`.',
            hint: 'Write for example `${env:WAREHOUSE_PASSWORD}`, with nothing before or after it.',
            source: where.locate(),
          },
        ],
      };
    }
    return {
      secret: new Secret('literal', raw),
      diagnostics: [
        {
          severity: 'warning',
          summary: `Literal secret in ${key}`,
          detail: `The value of \`${key}\` is written in the config itself, where anyone who reads the file or its history sees it.`,
          hint: 'Read it from the environment with `${env:NAME}` or from a file outside the repository with `${file:PATH}`.',
          source: where.locate(),
        },
      ],
    };
  }

  const [, kind, name = ''] = match;
  if (kind === 'env') {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      return {
        secret: new Secret(`env:${name}`, undefined, 'invalid name'),
        diagnostics: [
          {
            severity: 'error',
            summary: `Invalid environment variable name "${name}"`,
            detail:
              'An environment variable name holds letters, digits and `_`, and does not start with a digit.',
            hint: 'Write for example `${env:WAREHOUSE_PASSWORD}`.',
            source: where.locate(),
          },
        ],
      };
    }
    const value = environment.env[name];
    if (value === undefined) {
      return {
        secret: new Secret(`env:${name}`, undefined, 'not set'),
        diagnostics: [
          {
            severity,
            summary: `Environment variable ${name} is not set`,
            detail: `\`${key}\` is read from the environment variable ${name}, which is not set${where.mode === 'offline' ? '; commands that connect will stop here' : ''}.`,
            hint: `Set it before running pgdest: \`export ${name}=...\` (in CI, from the secret store).`,
            source: where.locate(),
          },
        ],
      };
    }
    return { secret: new Secret(`env:${name}`, value), diagnostics: [] };
  }

  return readSecretFile(name, where, environment, severity);
}

/** Reads a secret from a file; `~` is the home folder, relative paths start at baseDir. */
export function readSecretFile(
  path: string,
  where: SecretPlace,
  environment: Environment,
  severity: 'error' | 'warning',
): { secret: Secret; diagnostics: Diagnostic[] } {
  const { key } = where;
  const absolute = expandPath(path, where.baseDir, environment.homeDir);
  try {
    const value = environment.readFile(absolute).replace(/\r?\n$/, '');
    return { secret: new Secret(`file:${absolute}`, value), diagnostics: [] };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES'
          ? 'cannot be read (permission denied)'
          : code === 'EISDIR'
            ? 'is a folder'
            : 'cannot be read';
    return {
      secret: new Secret(`file:${absolute}`, undefined, reason),
      diagnostics: [
        {
          severity,
          summary: `Secret file ${reason === 'does not exist' ? 'not found' : 'unreadable'}`,
          detail: `\`${key}\` is read from ${absolute}, which ${reason}.`,
          hint: 'Check the path; a relative path starts at the folder of the config file.',
          source: where.locate(),
        },
      ],
    };
  }
}

/** Expands `~` to the home folder and makes relative paths start at baseDir. */
export function expandPath(path: string, baseDir: string, homeDir: string): string {
  if (path === '~') return homeDir;
  if (path.startsWith('~/')) return resolve(homeDir, path.slice(2));
  return isAbsolute(path) ? path : resolve(baseDir, path);
}
