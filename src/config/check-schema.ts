import Ajv2020, { type ErrorObject, type AnySchemaObject } from 'ajv/dist/2020.js';
import schema from '../../schemas/pgdest.schema.json' with { type: 'json' };
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { joinWords, suggestion } from '../diagnostics/did-you-mean.ts';
import type { ConfigSource, YamlPath } from './config-source.ts';
import { isSecretKey } from './secret-keys.ts';

const ajv = new Ajv2020.default({
  allErrors: true,
  verbose: true,
  useDefaults: true,
  strict: true,
  strictRequired: false,
});
const validateConfig = ajv.compile(schema);

/**
 * Checks one file's data against schemas/pgdest.schema.json, filling in the
 * schema's defaults, and returns a diagnostic per problem with its place.
 * Also returns the YAML paths of the objects that hold a problem, so that
 * later rules can leave those alone instead of piling up noise.
 */
export function checkSchema(
  source: ConfigSource,
  data: Record<string, unknown>,
): { diagnostics: Diagnostic[]; invalidPaths: string[] } {
  if (validateConfig(data)) return { diagnostics: [], invalidPaths: [] };
  const errors = (validateConfig.errors ?? []).filter(isReported);
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    const diagnostic = describeError(source, error);
    const key = `${diagnostic.source?.path}|${diagnostic.summary}`;
    if (seen.has(key)) continue;
    seen.add(key);
    diagnostics.push(diagnostic);
  }
  const invalidPaths = errors.map((error) => toPath(error.instancePath).join('.'));
  return { diagnostics, invalidPaths };
}

/** Branch failures of oneOf and the if of if/then are explained by their parent error. */
function isReported(error: ErrorObject): boolean {
  if (error.keyword === 'if' || error.keyword === 'propertyNames') return false;
  // A bastion that is not a mapping has its type error; which keys it lacks is noise.
  if (error.keyword === 'oneOf' && (error.data === null || typeof error.data !== 'object'))
    return false;
  return !/\/oneOf\/\d+\//.test(error.schemaPath);
}

function describeError(source: ConfigSource, error: ErrorObject): Diagnostic {
  const path = toPath(error.instancePath);
  const key = lastKey(path);
  const noun = nounOf(error.parentSchema);
  const params = error.params as Record<string, unknown>;
  const at = (p: YamlPath, part: 'key' | 'value' = 'value') => ({
    source: source.rangeOf(p, part),
  });
  const shown = (value: unknown) => (isSecretKey(key) ? 'this value' : JSON.stringify(value));

  switch (error.keyword) {
    case 'additionalProperties': {
      const unknown = String(params.additionalProperty);
      const known = Object.keys(error.parentSchema?.properties ?? {});
      const home = findHome(error.parentSchema, unknown);
      return {
        severity: 'error',
        summary: `Unknown key "${unknown}"`,
        detail: `${capitalize(noun)} takes ${joinWords(known.map(quoteKey), 'and')}.`,
        hint:
          suggestion(unknown, known) ??
          (home
            ? `Did you mean to put it under \`${home}:\`?`
            : 'Remove it, or check its indentation.'),
        ...at([...path, unknown], 'key'),
      };
    }
    case 'required': {
      const missing = String(params.missingProperty);
      const required = (error.schema as string[]) ?? [missing];
      const forPostgres = error.schemaPath.includes('/then/');
      return {
        severity: 'error',
        summary: `Missing key "${missing}"`,
        detail: forPostgres
          ? 'The postgres state backend needs `database:` to say where the state lives.'
          : `${capitalize(noun)} needs ${joinWords(required.map(quoteKey), 'and')}.`,
        hint: `Add \`${missing}:\`${path.length ? ` under \`${String(path[path.length - 1])}:\`` : ' at the top of the file'}.`,
        ...at(path, 'key'),
      };
    }
    case 'const':
      return {
        severity: 'error',
        summary: 'Unsupported config version',
        detail: `This pgdest reads version ${String(params.allowedValue)} configs, and this file says ${shown(error.data)}.`,
        hint: `Write \`version: ${String(params.allowedValue)}\`.`,
        ...at(path),
      };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const value = String(error.data);
      const isItem = typeof path[path.length - 1] === 'number';
      const name = isItem ? 'privilege' : key;
      return {
        severity: 'error',
        summary: `Invalid ${name} ${shown(error.data)}`,
        detail: `${isItem ? 'A privilege' : quoteKey(key)} is one of ${joinWords(allowed.map(quoteKey))}.`,
        hint: suggestion(value, allowed) ?? `Write one of ${joinWords(allowed.map(quoteKey))}.`,
        ...at(path),
      };
    }
    case 'pattern':
      return describePattern(source, error, path);
    case 'type': {
      const expected = String(params.type);
      const isSecret = isSecretKey(key);
      return {
        severity: 'error',
        summary: `Wrong type for ${key || 'the config'}`,
        detail: `${key ? `\`${key}\`` : 'The config'} must be ${article(expected)}, but here it is ${article(typeName(error.data))}.`,
        hint: isSecret
          ? 'Read it from the environment, as `${env:NAME}`, or from a file, as `${file:PATH}`.'
          : expected === 'string'
            ? 'Put the value in quotes.'
            : expected === 'object'
              ? 'Indent the keys that belong under it.'
              : `Write ${article(expected)}.`,
        ...at(path),
      };
    }
    case 'minimum':
    case 'maximum':
      return {
        severity: 'error',
        summary: `${capitalize(key)} out of range`,
        detail: `A port is a whole number from 1 to 65535, and this is ${shown(error.data)}.`,
        hint:
          key === 'port'
            ? 'SSH listens on 22 and PostgreSQL on 5432 unless configured otherwise.'
            : 'Write a number within the range.',
        ...at(path),
      };
    case 'minLength':
      return {
        severity: 'error',
        summary: `Empty ${key}`,
        detail: `\`${key}\` cannot be empty.`,
        hint: `Write a value, or remove \`${key}\` to use the default where it has one.`,
        ...at(path),
      };
    case 'minItems':
      return {
        severity: 'error',
        summary: `Empty ${key}`,
        detail: `\`${key}\` lists at least one item.`,
        hint: 'Remove the key to use the default: all six privileges.',
        ...at(path),
      };
    case 'uniqueItems': {
      const list = error.data as unknown[];
      const index = Number(params.i);
      return {
        severity: 'error',
        summary: `Duplicate ${key === 'privileges' ? 'privilege' : 'item'} ${shown(list[index])}`,
        detail: `\`${key}\` lists ${shown(list[index])} twice.`,
        hint: 'Remove one of them.',
        ...at([...path, index]),
      };
    }
    case 'oneOf':
      return describeAuth(source, error, path);
    case 'false schema': {
      const forPostgres = error.schemaPath.includes('/then/');
      return {
        severity: 'error',
        summary: `Key "${key}" does not apply to the ${forPostgres ? 'postgres' : 'local'} backend`,
        detail: forPostgres
          ? '`path` names the local state file; with `backend: postgres` the state lives in the database.'
          : `\`${key}\` is a setting of the postgres state backend.`,
        hint: forPostgres ? 'Remove `path`.' : `Remove \`${key}\`, or set \`backend: postgres\`.`,
        ...at(path, 'key'),
      };
    }
    default:
      return {
        severity: 'error',
        summary: `Invalid ${key || 'config'}`,
        detail: `The value does not fit the schema (${error.keyword}: ${error.message ?? 'invalid'}).`,
        hint: 'See schemas/pgdest.schema.json for what this key takes.',
        ...at(path),
      };
  }
}

function describePattern(source: ConfigSource, error: ErrorObject, path: YamlPath): Diagnostic {
  const name = (error as ErrorObject & { propertyName?: string }).propertyName;
  if (name !== undefined) {
    const section = String(path[path.length - 1] ?? '');
    return {
      severity: 'error',
      summary: `Invalid name "${name}"`,
      detail: `The names in \`${section}\` start with a lowercase letter and hold up to 63 lowercase letters, digits, \`_\` or \`-\`.`,
      hint: `Write it as "${suggestName(name)}".`,
      source: source.rangeOf([...path, name], 'key'),
    };
  }
  const key = lastKey(path);
  const value = String(error.data);
  if (error.schemaPath.startsWith('#/$defs/duration')) {
    return {
      severity: 'error',
      summary: `Invalid duration for ${key}`,
      detail: `"${value}" is not a duration: write a whole number followed by ms, s, m or h.`,
      hint: `For example \`${key}: 20s\`.`,
      source: source.rangeOf(path),
    };
  }
  if (error.schemaPath.startsWith('#/$defs/name')) {
    return {
      severity: 'error',
      summary: `Invalid ${key} name "${value}"`,
      detail:
        'Names start with a lowercase letter and hold up to 63 lowercase letters, digits, `_` or `-`.',
      hint: `Write it as "${suggestName(value)}".`,
      source: source.rangeOf(path),
    };
  }
  return {
    severity: 'error',
    summary: 'Invalid host key fingerprint',
    detail: `"${value}" is not a SHA256 fingerprint: pgdest expects \`SHA256:\` followed by 43 base64 characters, as \`ssh-keygen -lf\` prints it.`,
    hint: 'Run `ssh-keyscan HOST | ssh-keygen -lf -` on a trusted network and copy the SHA256 field, or name a `known_hosts` file instead.',
    source: source.rangeOf(path),
  };
}

function describeAuth(source: ConfigSource, error: ErrorObject, path: YamlPath): Diagnostic {
  const bastion = error.data as Record<string, unknown>;
  const present = ['private_key', 'private_key_file', 'agent'].filter(
    (k) => k in bastion && bastion[k] !== false,
  );
  const several = present.length > 1;
  return {
    severity: 'error',
    summary: several ? 'Several ways to authenticate' : 'No way to authenticate',
    detail: several
      ? `A bastion authenticates with exactly one of private_key, private_key_file or agent: true, and this one has ${joinWords(present, 'and')}.`
      : 'A bastion authenticates with exactly one of private_key, private_key_file or agent: true, and this one has none.',
    hint: several
      ? 'Keep one of them.'
      : 'Add `private_key: ${env:BASTION_PEM}`, `private_key_file: ~/.ssh/id_ed25519` or `agent: true`.',
    source: source.rangeOf(path, 'key'),
  };
}

/** Which nested object of `parent` takes `key`, for "put it under database:" hints. */
function findHome(parent: AnySchemaObject | undefined, key: string): string | undefined {
  for (const [name, property] of Object.entries<AnySchemaObject>(parent?.properties ?? {})) {
    const target = resolve(property);
    if (target?.properties && key in target.properties) return name;
  }
  return undefined;
}

function resolve(node: AnySchemaObject): AnySchemaObject | undefined {
  const ref = typeof node.$ref === 'string' ? node.$ref : undefined;
  if (!ref?.startsWith('#/$defs/')) return node;
  const defs = schema.$defs as Record<string, AnySchemaObject>;
  return defs[ref.slice('#/$defs/'.length)];
}

function nounOf(parent: AnySchemaObject | undefined): string {
  const title = typeof parent?.title === 'string' ? parent.title : undefined;
  if (!title || title === 'PgdestConfig') return 'the config';
  if (title === 'StateSettings') return 'the state section';
  const noun = title.toLowerCase();
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

/** A JSON pointer as a YAML path: digit-only steps become sequence indices. */
function toPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((step) => step.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((step) => (/^\d+$/.test(step) ? Number(step) : step));
}

function lastKey(path: YamlPath): string {
  for (let i = path.length - 1; i >= 0; i--)
    if (typeof path[i] === 'string') return path[i] as string;
  return '';
}

function suggestName(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '_')
    .replace(/^[^a-z]+/, '');
  return (cleaned || 'name').slice(0, 63);
}

function quoteKey(key: string): string {
  return `\`${key}\``;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value === 'object' ? 'object' : typeof value;
}

function article(type: string): string {
  const word =
    type === 'object'
      ? 'mapping'
      : type === 'array'
        ? 'list'
        : type === 'null'
          ? 'empty value'
          : type;
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}
