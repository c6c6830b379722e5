import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { buildConfig } from './build-config.ts';
import { checkRules } from './check-rules.ts';
import { checkSchema } from './check-schema.ts';
import { parseConfigSource, type ConfigSource, type YamlPath } from './config-source.ts';
import type { Declarations, Declared } from './declared.ts';
import type { Config } from './model.ts';
import type { Environment, SecretMode } from './resolve-secret.ts';
import { isSecretKey, isSecretReference } from './secret-keys.ts';

export interface LoadOptions {
  /** `offline` reports unreadable secrets as warnings; `connect` as errors. */
  mode: SecretMode;
  environment?: Environment;
}

export interface LoadResult {
  /** Present when there is no error; warnings may remain. */
  config?: Config;
  diagnostics: Diagnostic[];
}

/** The machine's own environment, for the command line. */
export function systemEnvironment(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Environment {
  return {
    env,
    homeDir: env.HOME || homedir(),
    readFile: (path) => readFileSync(path, 'utf8'),
    fileExists: (path) => existsSync(path),
  };
}

/**
 * Loads the configuration at `target`: one file, or every `*.yaml` and `*.yml`
 * in a folder, merged. Returns every problem found, never throws on bad input.
 */
export function loadConfig(target: string, options: LoadOptions): LoadResult {
  const environment = options.environment ?? systemEnvironment();
  const path = resolve(target);
  let files: string[];
  let baseDir: string;
  try {
    if (statSync(path).isDirectory()) {
      files = readdirSync(path)
        .filter((name) => /\.ya?ml$/.test(name))
        .sort()
        .map((name) => join(path, name));
      baseDir = path;
      if (files.length === 0) {
        return {
          diagnostics: [
            {
              severity: 'error',
              summary: 'No config files in folder',
              detail: `${path} holds no *.yaml or *.yml file.`,
              hint: 'Name a config file with -c, or put pgdest.yaml in the folder.',
            },
          ],
        };
      }
    } else {
      files = [path];
      baseDir = dirname(path);
    }
  } catch {
    return {
      diagnostics: [
        {
          severity: 'error',
          summary: 'Config not found',
          detail: `${path} does not exist.`,
          hint: 'Run pgdest in the folder that holds pgdest.yaml, or name the file or folder with -c PATH.',
        },
      ],
    };
  }

  const texts: { file: string; text: string }[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const file of files) {
    try {
      texts.push({ file, text: readFileSync(file, 'utf8') });
    } catch (error) {
      diagnostics.push({
        severity: 'error',
        summary: 'Config file unreadable',
        detail: `${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
        hint: 'Check the file permissions.',
      });
    }
  }
  const result = loadConfigTexts(texts, { ...options, environment, baseDir });
  return {
    config: diagnostics.length ? undefined : result.config,
    diagnostics: [...diagnostics, ...result.diagnostics],
  };
}

/** Loads configuration text already read; the loader's core, and what property tests feed. */
export function loadConfigTexts(
  texts: readonly { file: string; text: string }[],
  options: LoadOptions & { baseDir: string },
): LoadResult {
  const environment = options.environment ?? systemEnvironment();
  const diagnostics: Diagnostic[] = [];
  const declared: Declarations = { bastions: new Map(), destinations: new Map() };
  let unparsed = false;

  // Each file is read and checked against the schema on its own, then merged.
  for (const { file, text } of texts) {
    const parsed = parseConfigSource(file, text);
    const { source } = parsed;
    diagnostics.push(...parsed.diagnostics);
    if (!source.data) {
      unparsed = true;
      continue;
    }
    maskLiteralSecrets(source, source.data, []);
    const schema = checkSchema(source, source.data);
    diagnostics.push(...schema.diagnostics);
    diagnostics.push(...mergeDeclarations(declared, source, schema.invalidPaths));
  }

  // Rules across sections run on the merged whole, and only when every file
  // parsed: a file that did not may hold the bastion another file names.
  // Secrets stand alone, and are read in the files that parsed in any case.
  if (!unparsed) diagnostics.push(...checkRules(declared, environment));
  const built = buildConfig(declared, {
    baseDir: options.baseDir,
    files: texts.map((t) => t.file),
    mode: options.mode,
    environment,
  });
  diagnostics.push(...built.diagnostics);

  const failed = unparsed || diagnostics.some((d) => d.severity === 'error');
  return { config: failed ? undefined : built.config, diagnostics: sortBySource(diagnostics) };
}

function mergeDeclarations(
  declared: Declarations,
  source: ConfigSource,
  invalidPaths: string[],
): Diagnostic[] {
  const data = source.data!;
  const diagnostics: Diagnostic[] = [];
  const isValid = (path: YamlPath) => {
    const prefix = path.join('.');
    return !invalidPaths.some((p) => p === prefix || p.startsWith(`${prefix}.`));
  };
  const add = <T>(section: 'bastions' | 'destinations', map: Map<string, Declared<T>>) => {
    const entries = data[section];
    if (entries === null || typeof entries !== 'object' || Array.isArray(entries)) return;
    for (const [name, raw] of Object.entries(entries)) {
      const path = [section, name];
      const earlier = map.get(name);
      if (earlier) {
        diagnostics.push(
          declaredTwice(
            section === 'bastions' ? 'bastion' : 'destination',
            name,
            earlier,
            source,
            path,
          ),
        );
        continue;
      }
      const valid = isValid(path) && raw !== null && typeof raw === 'object';
      map.set(name, { name, raw: raw as T, path, source, valid });
    }
  };
  add('bastions', declared.bastions);
  add('destinations', declared.destinations);

  if (data.state !== undefined) {
    if (declared.state) {
      diagnostics.push(declaredTwice('state section', 'state', declared.state, source, ['state']));
    } else {
      declared.state = {
        name: 'state',
        raw: data.state as Declared<never>['raw'],
        path: ['state'],
        source,
        valid: isValid(['state']),
      };
    }
  }
  return diagnostics;
}

function declaredTwice(
  what: string,
  name: string,
  earlier: Declared<unknown>,
  source: ConfigSource,
  path: YamlPath,
): Diagnostic {
  const first = earlier.source.rangeOf(earlier.path, 'key');
  return {
    severity: 'error',
    summary:
      what === 'state section'
        ? 'State declared twice'
        : `${what === 'bastion' ? 'Bastion' : 'Destination'} "${name}" declared twice`,
    detail: `It is first declared in ${first.file} at line ${first.line}, column ${first.column}, and again here.`,
    hint:
      what === 'state section'
        ? 'Keep one `state:` section in the folder.'
        : `Remove one of the two, or rename this ${what}.`,
    source: source.rangeOf(path, 'key'),
  };
}

/**
 * Literal secrets are hidden from every snippet shown, before any is made:
 * the values of secret keys, and of unknown keys that read like one, such as
 * a mistyped `pasword:`.
 */
function maskLiteralSecrets(source: ConfigSource, value: unknown, path: YamlPath): void {
  if (value === null || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value)) {
    const childPath = [...path, Array.isArray(value) ? Number(key) : key];
    if (!Array.isArray(value) && isSecretKey(key) && !isSecretReference(child)) {
      source.maskValueAt(childPath);
    } else {
      maskLiteralSecrets(source, child, childPath);
    }
  }
}

/** In file order, so that the output reads top to bottom like the config. */
function sortBySource(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics
    .map((diagnostic, index) => ({ diagnostic, index }))
    .sort((a, b) => {
      const x = a.diagnostic.source;
      const y = b.diagnostic.source;
      if (!x || !y) return (x ? 1 : 0) - (y ? 1 : 0) || a.index - b.index;
      return (
        x.file.localeCompare(y.file) || x.line - y.line || x.column - y.column || a.index - b.index
      );
    })
    .map(({ diagnostic }) => diagnostic);
}
