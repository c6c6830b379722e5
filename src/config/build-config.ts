import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import type { Diagnostic, SourceRange } from '../diagnostics/diagnostic.ts';
import type { YamlPath } from './config-source.ts';
import type { Declarations, Declared } from './declared.ts';
import type {
  Bastion,
  BastionAuth,
  Config,
  DatabaseEndpoint,
  Destination,
  Privilege,
  StateSettings,
} from './model.ts';
import {
  expandPath,
  readSecretFile,
  resolveSecret,
  type Environment,
  type SecretMode,
} from './resolve-secret.ts';
import type * as Raw from './schema-types.ts';
import { isSecretReference, secretKeys } from './secret-keys.ts';
import type { Secret } from './secret.ts';

const defaultStatePath = '.pgdest/state.json';

/**
 * Turns what the files declare into the desired-state model: durations in
 * milliseconds, paths absolute, secrets read. Entries the schema found
 * invalid are left out, their problems already reported; only their secrets
 * are read, for the problems of their own.
 */
export function buildConfig(
  declared: Declarations,
  context: { baseDir: string; files: string[]; mode: SecretMode; environment: Environment },
): { config: Config; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const secret = (
    entry: Declared<unknown>,
    path: YamlPath,
    raw: string | undefined,
  ): Secret | undefined => {
    if (raw === undefined) return undefined;
    const locate = () => entry.source.rangeOf([...entry.path, ...path]);
    const result = resolveSecret(
      raw,
      {
        key: String(path[path.length - 1]),
        locate,
        baseDir: dirname(entry.source.file),
        mode: context.mode,
      },
      context.environment,
    );
    diagnostics.push(...result.diagnostics);
    return result.secret;
  };

  // An entry the schema found invalid is not built, but the secrets that can
  // be found in it are still read, so that a variable that is not set shows
  // beside its other problems instead of after they are fixed.
  const checkSecrets = (entry: Declared<unknown>, paths: readonly YamlPath[]): void => {
    for (const path of paths) {
      const raw = valueAt(entry.raw, path);
      if (typeof raw === 'string') secret(entry, path, raw);
    }
  };

  const bastions = new Map<string, Bastion>();
  for (const entry of declared.bastions.values()) {
    if (!entry.valid) {
      checkSecrets(entry, [['private_key'], ['passphrase']]);
      continue;
    }
    const { raw } = entry;
    let auth: BastionAuth;
    const passphrase = secret(entry, ['passphrase'], raw.passphrase);
    if (raw.agent === true) {
      auth = { kind: 'agent' };
    } else if (raw.private_key_file !== undefined) {
      const locate = () => entry.source.rangeOf([...entry.path, 'private_key_file']);
      const severity = context.mode === 'connect' ? 'error' : 'warning';
      const result = readSecretFile(
        raw.private_key_file,
        { key: 'private_key_file', locate, baseDir: dirname(entry.source.file) },
        context.environment,
        severity,
      );
      diagnostics.push(...result.diagnostics);
      auth = { kind: 'key', privateKey: result.secret, passphrase };
    } else {
      auth = {
        kind: 'key',
        privateKey: secret(entry, ['private_key'], raw.private_key)!,
        passphrase,
      };
    }
    bastions.set(
      entry.name,
      withSource(entry, {
        name: entry.name,
        host: raw.host,
        port: raw.port ?? 22,
        user: raw.user,
        auth,
        hostKey: raw.host_key,
        knownHosts:
          raw.known_hosts === undefined
            ? undefined
            : expandPath(raw.known_hosts, dirname(entry.source.file), context.environment.homeDir),
        hostKeyCheck: raw.host_key_check ?? 'strict',
        via: raw.via,
        connectTimeoutMs: parseDuration(raw.connect_timeout ?? '20s'),
        keepaliveIntervalMs: parseDuration(raw.keepalive_interval ?? '15s'),
      }),
    );
  }

  const endpoint = (entry: Declared<unknown>, raw: Raw.Database): DatabaseEndpoint => ({
    host: raw.host,
    port: raw.port ?? 5432,
    name: raw.name,
    user: raw.user,
    password: secret(entry, ['database', 'password'], raw.password),
    ssl: raw.ssl ?? 'prefer',
    sslRootCert:
      raw.ssl_root_cert === undefined
        ? undefined
        : expandPath(raw.ssl_root_cert, dirname(entry.source.file), context.environment.homeDir),
  });

  const destinations = new Map<string, Destination>();
  for (const entry of declared.destinations.values()) {
    if (!entry.valid) {
      checkSecrets(entry, [
        ['database', 'password'],
        ['admin', 'password'],
      ]);
      continue;
    }
    const { raw } = entry;
    destinations.set(
      entry.name,
      withSource(entry, {
        name: entry.name,
        address: `destination.${entry.name}`,
        bastion: raw.bastion,
        database: endpoint(entry, raw.database),
        schema: raw.schema ?? 'public',
        schemaFallback: raw.schema_fallback ?? 'public',
        privileges: (raw.privileges ?? [
          'DROP',
          'INSERT',
          'CREATE',
          'ALTER',
          'SELECT',
          'DELETE',
        ]) as Privilege[],
        admin: raw.admin && {
          user: raw.admin.user,
          password: secret(entry, ['admin', 'password'], raw.admin.password),
        },
        onDelete: raw.on_delete ?? 'forget',
      }),
    );
  }

  let state: StateSettings = {
    backend: 'local',
    path: expandPath(defaultStatePath, context.baseDir, context.environment.homeDir),
  };
  const declaredState = declared.state;
  if (declaredState && !declaredState.valid)
    checkSecrets(declaredState, [['database', 'password']]);
  if (declaredState?.valid) {
    const raw = declaredState.raw;
    state =
      raw.backend === 'postgres' && raw.database
        ? {
            backend: 'postgres',
            bastion: raw.bastion,
            database: endpoint(declaredState, raw.database),
            schema: raw.schema ?? 'pgdest',
            key: raw.key ?? 'default',
          }
        : {
            backend: 'local',
            path: expandPath(
              raw.path ?? defaultStatePath,
              dirname(declaredState.source.file),
              context.environment.homeDir,
            ),
          };
  }

  const config: Config = {
    bastions,
    destinations,
    state,
    files: context.files,
    baseDir: context.baseDir,
    digest: digestOf(declared),
  };
  return { config, diagnostics };
}

/**
 * Adds `source`, the place of the entry's name, found only when something
 * reads it: locating needs the slower YAML parse that valid files skip.
 */
function withSource<T extends object>(
  entry: Declared<unknown>,
  value: T,
): T & { source: SourceRange } {
  let source: SourceRange | undefined;
  return Object.defineProperty(value, 'source', {
    enumerable: false,
    get: () => (source ??= entry.source.rangeOf(entry.path, 'key')),
  }) as T & { source: SourceRange };
}

/** The value at `path` under `value`, or undefined where a step is missing or not a mapping. */
function valueAt(value: unknown, path: YamlPath): unknown {
  let current = value;
  for (const step of path) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[String(step)];
  }
  return current;
}

/** Milliseconds in a duration such as `20s`; the schema has checked the form. */
export function parseDuration(text: string): number {
  const match = /^(\d+)(ms|s|m|h)$/.exec(text);
  if (!match) throw new Error(`not a duration: ${text}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

/**
 * A digest of what the configuration means, independent of comments, key order
 * and how it is split into files. Secret values are left out; where they come
 * from is kept.
 */
function digestOf(declared: Declarations): string {
  const canonical = {
    bastions: Object.fromEntries(
      [...declared.bastions].map(([name, entry]) => [name, withoutLiteralSecrets(entry.raw)]),
    ),
    destinations: Object.fromEntries(
      [...declared.destinations].map(([name, entry]) => [name, withoutLiteralSecrets(entry.raw)]),
    ),
    state: declared.state ? withoutLiteralSecrets(declared.state.raw) : null,
  };
  return `sha256:${createHash('sha256').update(stableStringify(canonical)).digest('hex')}`;
}

function withoutLiteralSecrets(value: unknown, key = ''): unknown {
  if (secretKeys.has(key)) return isSecretReference(value) ? value : '(sensitive)';
  if (Array.isArray(value)) return value.map((item) => withoutLiteralSecrets(item));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, withoutLiteralSecrets(v, k)]),
    );
  }
  return value;
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
