import { dirname, join } from 'node:path';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { suggestion } from '../diagnostics/did-you-mean.ts';
import type { YamlPath } from './config-source.ts';
import type { Declarations, Declared } from './declared.ts';
import { expandPath, type Environment } from './resolve-secret.ts';
import type * as Raw from './schema-types.ts';

/** PostgreSQL keeps identifiers up to NAMEDATALEN - 1 bytes and silently truncates longer ones. */
const maxIdentifierBytes = 63;

/**
 * The rules a JSON Schema cannot express: references between sections, `via`
 * cycles, identifier lengths, and whether host keys can be checked at all.
 * Each rule is a small function returning diagnostics.
 */
export function checkRules(declared: Declarations, environment: Environment): Diagnostic[] {
  return [
    ...checkReferences(declared),
    ...checkViaCycles(declared),
    ...checkIdentifiers(declared),
    ...checkHostKeys(declared, environment),
    ...checkDestinations(declared),
  ];
}

function checkReferences(declared: Declarations): Diagnostic[] {
  const names = [...declared.bastions.keys()];
  const diagnostics: Diagnostic[] = [];
  const check = (
    entry: Declared<unknown>,
    key: string,
    target: string | undefined,
    what: string,
  ) => {
    if (typeof target !== 'string' || declared.bastions.has(target)) return;
    diagnostics.push({
      severity: 'error',
      summary: `Unknown bastion "${target}"`,
      detail: `${what} names the bastion "${target}", but no bastion of that name is declared${names.length ? `; the bastions are ${names.map((n) => `"${n}"`).join(', ')}` : ''}.`,
      hint:
        suggestion(target, names) ??
        `Declare it under \`bastions:\`, or remove \`${key}:\` to connect directly.`,
      source: entry.source.rangeOf([...entry.path, key]),
    });
  };
  // Invalid entries are checked too, so that every problem shows at once.
  for (const entry of mappings(declared.destinations))
    check(entry, 'bastion', entry.raw.bastion, `Destination "${entry.name}"`);
  for (const entry of mappings(declared.bastions))
    check(entry, 'via', entry.raw.via, `Bastion "${entry.name}"`);
  if (declared.state && isMapping(declared.state.raw))
    check(declared.state, 'bastion', declared.state.raw.bastion, 'The state section');
  return diagnostics;
}

function checkViaCycles(declared: Declarations): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const reported = new Set<string>();
  for (const start of mappings(declared.bastions)) {
    const chain = [start.name];
    let next = start.raw.via;
    while (next !== undefined && declared.bastions.has(next)) {
      if (next === start.name) {
        const key = [...chain].sort().join(',');
        if (!reported.has(key)) {
          reported.add(key);
          diagnostics.push({
            severity: 'error',
            summary: 'Bastions reach each other in a cycle',
            detail: `Following \`via\` from "${start.name}" comes back to it: ${[...chain, next].join(' -> ')}.`,
            hint: 'The outermost bastion, the one pgdest reaches first, has no `via`.',
            source: start.source.rangeOf([...start.path, 'via']),
          });
        }
        break;
      }
      if (chain.includes(next)) break; // a cycle further on; it is reported from its own start
      chain.push(next);
      const hop = declared.bastions.get(next)?.raw;
      next = isMapping(hop) ? hop!.via : undefined;
    }
  }
  return diagnostics;
}

function checkIdentifiers(declared: Declarations): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const check = (
    entry: Declared<unknown>,
    path: YamlPath,
    value: string | undefined,
    what: string,
  ) => {
    if (value === undefined) return;
    const bytes = Buffer.byteLength(value, 'utf8');
    if (value.includes('\0')) {
      diagnostics.push({
        severity: 'error',
        summary: `NUL character in ${what}`,
        detail: `PostgreSQL identifiers cannot hold the NUL character, and this ${what} does.`,
        hint: 'Remove the `\\0` from the name.',
        source: entry.source.rangeOf([...entry.path, ...path]),
      });
    } else if (bytes > maxIdentifierBytes) {
      diagnostics.push({
        severity: 'error',
        summary: `${capitalize(what)} longer than 63 bytes`,
        detail: `PostgreSQL keeps identifiers up to 63 bytes and cuts longer ones short, so this ${what} of ${bytes} bytes would not be the name it says.`,
        hint: 'Choose a name of at most 63 bytes (letters outside ASCII take two to four bytes each).',
        source: entry.source.rangeOf([...entry.path, ...path]),
      });
    }
  };
  const checkDatabase = (entry: Declared<unknown>, database: unknown) => {
    if (!isMapping(database)) return;
    const { name, user } = database as Partial<Raw.Database>;
    check(entry, ['database', 'name'], text(name), 'database name');
    check(entry, ['database', 'user'], text(user), 'user name');
  };
  // Entries with schema errors are checked too, with care for the types, so
  // that every problem shows at once.
  for (const entry of mappings(declared.destinations)) {
    const { raw } = entry;
    checkDatabase(entry, raw.database);
    check(entry, ['schema'], text(raw.schema), 'schema name');
    const admin: unknown = raw.admin;
    if (isMapping(admin))
      check(entry, ['admin', 'user'], text((admin as Raw.Admin).user), 'admin user name');
  }
  const { state } = declared;
  if (state && isMapping(state.raw)) {
    checkDatabase(state, state.raw.database);
    check(state, ['schema'], text(state.raw.schema), 'schema name');
  }
  return diagnostics;
}

function checkHostKeys(declared: Declarations, environment: Environment): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  // Bastions with schema errors are checked too; a value of the wrong type
  // counts as absent, and an unknown mode as no mode, its error reported.
  for (const entry of mappings(declared.bastions)) {
    const { raw } = entry;
    const mode = raw.host_key_check ?? 'strict';
    const baseDir = dirname(entry.source.file);
    const knownHosts = text(raw.known_hosts)
      ? expandPath(raw.known_hosts!, baseDir, environment.homeDir)
      : undefined;
    const userKnownHosts = join(environment.homeDir, '.ssh', 'known_hosts');

    if (mode === 'off') {
      diagnostics.push({
        severity: 'warning',
        summary: 'Host key checking is off',
        detail: `Bastion "${entry.name}" accepts any host key${raw.host_key ? ', and its pinned `host_key` is ignored' : ''}, so anyone who can intercept the connection can read the database passwords it carries.`,
        hint: 'Pin the key with `host_key: SHA256:...` (run `ssh-keyscan HOST | ssh-keygen -lf -` on a trusted network) and remove `host_key_check: off`.',
        source: entry.source.rangeOf([...entry.path, 'host_key_check']),
      });
    } else if (
      mode === 'strict' &&
      !raw.host_key &&
      !knownHosts &&
      !environment.fileExists(userKnownHosts)
    ) {
      diagnostics.push({
        severity: 'error',
        summary: 'Nothing to check the host key against',
        detail: `Bastion "${entry.name}" checks its host key strictly, but it pins no \`host_key\`, names no \`known_hosts\` file, and ${userKnownHosts} does not exist, so every connection would be refused.`,
        hint: 'Add `host_key: SHA256:...` (from `ssh-keyscan HOST | ssh-keygen -lf -`), name a `known_hosts` file, or use `host_key_check: accept-new` to record the key on first use.',
        source: entry.source.rangeOf(entry.path, 'key'),
      });
    }
    if (mode === 'strict' && knownHosts && !environment.fileExists(knownHosts)) {
      diagnostics.push({
        severity: raw.host_key ? 'warning' : 'error',
        summary: 'known_hosts file not found',
        detail: `Bastion "${entry.name}" names ${knownHosts} as its known_hosts file, which does not exist${raw.host_key ? '; only the pinned host_key will be checked' : ', so every host key would be refused'}.`,
        hint: 'Check the path (a relative path starts at the folder of the config file), or use `host_key_check: accept-new` to create it on first use.',
        source: entry.source.rangeOf([...entry.path, 'known_hosts']),
      });
    }
    if (raw.agent === true && raw.passphrase !== undefined) {
      diagnostics.push({
        severity: 'warning',
        summary: 'Passphrase without a key',
        detail: `Bastion "${entry.name}" authenticates with the agent, which holds its keys already unlocked, so \`passphrase\` is not used.`,
        hint: 'Remove `passphrase`.',
        source: entry.source.rangeOf([...entry.path, 'passphrase'], 'key'),
      });
    }
  }
  return diagnostics;
}

function checkDestinations(declared: Declarations): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const entry of mappings(declared.destinations)) {
    const { raw } = entry;
    if (raw.on_delete === 'drop' && (raw.schema ?? 'public') === 'public') {
      diagnostics.push({
        severity: 'error',
        summary: 'on_delete: drop on the public schema',
        detail: `Destination "${entry.name}" writes into \`public\`, and \`on_delete: drop\` would run DROP SCHEMA public CASCADE when it is removed, deleting every table in it.`,
        hint: 'Use `on_delete: forget`, or give the destination a schema of its own.',
        source: entry.source.rangeOf([...entry.path, 'on_delete']),
      });
    }
    const database: Partial<Raw.Database> = isMapping(raw.database) ? raw.database : {};
    if (database.ssl_root_cert !== undefined && database.ssl !== 'verify-full') {
      diagnostics.push({
        severity: 'warning',
        summary: 'ssl_root_cert is not used',
        detail: `Certificates are checked only with \`ssl: verify-full\`, and destination "${entry.name}" uses \`ssl: ${database.ssl ?? 'prefer'}\`.`,
        hint: 'Set `ssl: verify-full`, or remove `ssl_root_cert`.',
        source: entry.source.rangeOf([...entry.path, 'database', 'ssl_root_cert'], 'key'),
      });
    }
  }
  return diagnostics;
}

function mappings<T>(entries: Map<string, Declared<T>>): Declared<T>[] {
  return [...entries.values()].filter((entry) => isMapping(entry.raw));
}

function isMapping(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A string value, or undefined for any other type, which the schema reports. */
function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
