import * as jsYaml from 'js-yaml';
import {
  isMap,
  isScalar,
  LineCounter,
  parseAllDocuments,
  type Document,
  type YAMLError,
} from 'yaml';
import type { Diagnostic, SourceRange } from '../diagnostics/diagnostic.ts';
import {
  describeUnclosedQuote,
  findUnclosedQuote,
  type UnclosedQuote,
} from './find-unclosed-quote.ts';
import {
  describeUnclosedCollection,
  findUnclosedCollection,
  type UnclosedCollection,
} from './find-unclosed-collection.ts';
import { createSecretHider, findSecretValues } from './hide-secrets.ts';
import { indexYamlTree, keyText, type YamlTreeIndex } from './index-yaml-tree.ts';
import {
  countExpandedValues,
  describeExcessiveAlias,
  findExcessiveAlias,
  maxExpandedValues,
} from './limit-aliases.ts';
import { isSecretKey } from './secret-keys.ts';

/** A path into the YAML document, as keys and sequence indices. */
export type YamlPath = readonly (string | number)[];

/**
 * One configuration file: its text, its plain data, and the means to turn a
 * YAML path back into a line and column.
 */
export interface ConfigSource {
  file: string;
  text: string;
  /** The plain data, or undefined when the file is not a usable mapping. */
  data: Record<string, unknown> | undefined;
  /** Where `path` is in the file: its key (`part: 'key'`) or its value. */
  rangeOf(path: YamlPath, part?: 'key' | 'value'): SourceRange;
  /** Hides a value in every snippet shown from this file (literal secrets). */
  maskValueAt(path: YamlPath): void;
}

/** Formats a YAML path the way users read it: `destinations.warehouse.database.port`. */
export function formatPath(path: YamlPath): string {
  // Whatever a parser finds under a secret key is part of the secret, even
  // what it takes for a key in a broken file: the path ends at the secret key.
  const secret = path.findIndex((part) => typeof part === 'string' && isSecretKey(part));
  return (secret === -1 ? path : path.slice(0, secret + 1))
    .map((part) => (typeof part === 'number' ? `[${part}]` : part))
    .join('.')
    .replace(/\.\[/g, '[');
}

/*
 * Two parsers, for speed. js-yaml reads a large valid file about ten times
 * faster than the yaml package, but keeps no positions; the yaml package keeps
 * every node's place. A file is read with js-yaml first; the yaml package
 * parses it only when a problem must be pointed at, or when js-yaml refuses
 * the file, so that its diagnostics say where and why.
 */
const { merge } = (jsYaml as unknown as { types: { merge: jsYaml.Type } }).types;
// Implicit, as the yaml package has it with `merge: true`: a plain `<<` key
// merges, with no `!!merge` tag written.
const schema = jsYaml.CORE_SCHEMA.extend({ implicit: [merge] });

/**
 * Parses one file. YAML syntax errors, duplicate keys, several documents, an
 * empty file, a document that is not a mapping and aliases that expand too
 * far become diagnostics; this never throws on bad input.
 */
export function parseConfigSource(
  file: string,
  text: string,
): { source: ConfigSource; diagnostics: Diagnostic[] } {
  const limit = maxExpandedValues(text);
  const quick = loadQuickly(text);
  // Counting is cheap, but only aliases can make the data larger than the text.
  if (quick && (!text.includes('*') || countExpandedValues(quick) <= limit))
    return { source: createSource(file, text, quick), diagnostics: [] };

  const source = createSource(file, text, undefined);
  const positions = source.positions();
  const diagnostics = [...positions.problems];
  const doc = positions.doc;
  if (!doc || doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    diagnostics.push({
      severity: 'error',
      summary: 'Empty config file',
      detail: `${file} holds no configuration.`,
      hint: 'Start it with `version: 1`, then declare `bastions:` and `destinations:`; see the files in examples/.',
      source: positions.rangeAt(0, 0, []),
    });
  } else if (!isMap(doc.contents)) {
    const [start, end] = doc.contents.range ?? [0, 0];
    diagnostics.push({
      severity: 'error',
      summary: 'Config is not a mapping',
      detail:
        'A pgdest config file is a YAML mapping of keys such as `version`, `bastions` and `destinations`.',
      hint: 'Start the file with `version: 1` at the beginning of a line.',
      source: positions.rangeAt(start, end, []),
    });
  } else if (positions.readable) {
    // js-yaml refused a file that the yaml package reads (one with a
    // duplicate key, which is reported among the other problems), or read
    // one whose aliases expand too far, which both parsers read alike.
    const data = toPlainData(doc);
    if (data && countExpandedValues(data) <= limit)
      return { source: createSource(file, text, data, positions), diagnostics };
    diagnostics.push(
      data
        ? describeExcessiveAlias(
            findExcessiveAlias(doc.contents, positions.index),
            limit,
            positions.rangeAt,
          )
        : {
            severity: 'error',
            summary: 'Invalid YAML',
            detail: 'The file could not be read as YAML.',
            hint: 'Check aliases and anchors, and the structure around them.',
            source: positions.rangeAt(0, 0, []),
          },
    );
  }
  return { source, diagnostics };
}

/** The file's data when it is one YAML mapping without duplicate keys, else undefined. */
function loadQuickly(text: string): Record<string, unknown> | undefined {
  try {
    const documents = jsYaml.loadAll(text, undefined, { schema });
    const [value] = documents;
    if (
      documents.length !== 1 ||
      value === null ||
      typeof value !== 'object' ||
      Array.isArray(value)
    )
      return undefined;
    return value as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** A file's YAML tree with positions, parsed on first use. */
interface Positions {
  doc: Document.Parsed | undefined;
  problems: Diagnostic[];
  /** Whether the tree can be read as data despite the problems (duplicate keys only). */
  readable: boolean;
  rangeAt(start: number, end: number, path: YamlPath): SourceRange;
  /** The first document's tree, indexed. */
  index: YamlTreeIndex;
}

function createSource(
  file: string,
  text: string,
  data: Record<string, unknown> | undefined,
  parsed?: Positions,
) {
  let positions = parsed;
  const maskedPaths: YamlPath[] = [];
  const load = (): Positions => (positions ??= parsePositions(file, text, maskedPaths));
  return {
    file,
    text,
    data,
    positions: load,
    rangeOf(path: YamlPath, part: 'key' | 'value' = 'value'): SourceRange {
      const { index, rangeAt } = load();
      const found = index.find(path);
      const node = part === 'key' && found.key ? found.key : (found.value ?? found.key);
      const [start, end] = node?.range ?? [0, 0];
      return rangeAt(start, end, found.exact ? path : path.slice(0, found.depth));
    },
    maskValueAt(path: YamlPath): void {
      maskedPaths.push(path);
    },
  };
}

function parsePositions(file: string, text: string, maskedPaths: readonly YamlPath[]): Positions {
  const lineCounter = new LineCounter();
  // yaml's own uniqueKeys check compares every pair of keys, which takes
  // seconds on a mapping of 10,000 destinations; the tree index finds
  // duplicates in one pass and keeps the index for locating paths.
  const documents = parseAllDocuments(text, {
    lineCounter,
    uniqueKeys: false,
    prettyErrors: false,
    merge: true,
  });
  const docs: Document.Parsed[] = Array.isArray(documents) ? documents : [];
  const doc = docs[0];
  const indexes = docs.map((document) => indexYamlTree(document.contents));
  const index = indexes[0] ?? indexYamlTree(undefined);

  // Snippets hide the literal secrets the loader names, and whatever is
  // written under a secret key, even where the file is too broken to load.
  // The loader may name more after the first snippet is made: when the
  // file's duplicate keys are reported while it is parsed.
  let secretValues: [number, number][] | undefined;
  const masked: [number, number][] = [];
  const hideSecrets = createSecretHider(text);
  const rangeAt = (start: number, end: number, path: YamlPath): SourceRange => {
    secretValues ??= docs.flatMap((document) => findSecretValues(document.contents));
    for (const p of maskedPaths.slice(masked.length)) {
      const found = index.find(p);
      const range = found.exact ? found.value?.range : undefined;
      masked.push(range ? [range[0], range[1]] : [0, 0]);
    }
    const masks = [...secretValues, ...masked];
    const from = lineCounter.linePos(Math.min(start, text.length));
    const to = lineCounter.linePos(Math.min(Math.max(end, start), text.length));
    return {
      file,
      line: from.line,
      column: from.col,
      endLine: to.line,
      endColumn: to.col,
      path: formatPath(path),
      snippet: hideSecrets(from.line, maskedLine(text, lineCounter, from.line, masks)),
    };
  };

  const problems: Diagnostic[] = [];
  let readable = docs.length <= 1;
  for (const [position, document] of docs.entries()) {
    if (document.errors.length > 0) readable = false;
    const { duplicates, pathAt } = indexes[position]!;

    // After a syntax error the parser guesses at the structure, and most of
    // what it reports further on follows from the guess: one brace left open
    // gives dozens of errors. The first is shown; fixing it shows the next.
    const root = findRootError(document);
    const rootAt = root?.at ?? Infinity;
    if (root?.quote) problems.push(describeUnclosedQuote(root.quote, text, rangeAt));
    else if (root?.collection)
      problems.push(describeUnclosedCollection(root.collection, text, rangeAt, pathAt(root.at)));
    else if (root?.error) problems.push(describeYamlError(root.error, rangeAt, pathAt));
    for (const warning of document.warnings)
      if (warning.pos[0] < rootAt) problems.push(describeYamlError(warning, rangeAt, pathAt));

    for (const { key, first, path } of duplicates) {
      const [start, end] = key.range ?? [0, 0];
      if (start > rootAt) continue;
      const earlier = lineCounter.linePos(first.range?.[0] ?? 0);
      problems.push({
        severity: 'error',
        summary: 'Duplicate key',
        detail: `The key "${keyText(key) ?? ''}" appears twice in the same mapping: first at line ${earlier.line}, column ${earlier.col}, and again here. The second one is read.`,
        hint: 'Remove one of the two; a key may appear only once in a mapping.',
        source: rangeAt(start, end, path),
      });
    }
    if (position === 1) {
      const start = document.range[0];
      problems.push({
        severity: 'error',
        summary: 'Several documents in one file',
        detail: 'A pgdest config file holds one YAML document, but a second one starts here.',
        hint: 'Remove the `---` separator, or move the second document into a file of its own in the same folder.',
        source: rangeAt(start, start + 3, []),
      });
    }
  }
  return { doc, index, problems, readable, rangeAt };
}

/** What a document's syntax errors follow from. */
interface RootError {
  at: number;
  error?: YAMLError;
  quote?: UnclosedQuote;
  collection?: UnclosedCollection;
}

/**
 * The error a document's other errors follow from: the first in the text.
 * An unclosed quote or flow collection counts from where it opens: the
 * parser notices it only where it gives up, after the text it swallowed.
 */
function findRootError(document: Document.Parsed): RootError | undefined {
  const { contents, errors } = document;
  const quote = findUnclosedQuote(contents, errors);
  // An unclosed quote swallows the brackets after it too.
  const collection = quote ? undefined : findUnclosedCollection(contents, errors);
  const candidates: RootError[] = [
    ...(quote ? [{ at: quote.node.range?.[0] ?? quote.reportedAt, quote }] : []),
    ...(collection
      ? [{ at: collection.node.range?.[0] ?? collection.reportedAt, collection }]
      : []),
    ...errors.map((error) => ({ at: error.pos[0], error })),
  ];
  return candidates.reduce<RootError | undefined>(
    (root, candidate) => (!root || candidate.at < root.at ? candidate : root),
    undefined,
  );
}

function describeYamlError(
  error: YAMLError,
  rangeAt: (start: number, end: number, path: YamlPath) => SourceRange,
  pathAt: (offset: number) => YamlPath,
): Diagnostic {
  const [start, end] = error.pos;
  return {
    severity: error.name === 'YAMLWarning' ? 'warning' : 'error',
    summary: 'Invalid YAML',
    detail: yamlErrorDetail(error.message),
    hint: 'Fix the YAML syntax at this place; a YAML linter or your editor shows the structure.',
    source: rangeAt(start, end, pathAt(start)),
  };
}

function toPlainData(doc: Document.Parsed): Record<string, unknown> | undefined {
  try {
    // The caller counts the values that aliases stand for, as it does for
    // js-yaml, so that both parsers accept the same files.
    const value: unknown = doc.toJS({ maxAliasCount: -1 });
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The parser's message as a sentence, without the text it quotes: a token or
 * escape sequence it shows may be part of a secret, and the snippet shows the
 * place, with secrets hidden.
 */
function yamlErrorDetail(message: string): string {
  const text = message
    .replace(/\s+at line \d+, column \d+.*$/s, '')
    .replace(/: ".*"$/s, '')
    .replace(/^(Invalid escape sequence|Block scalar header includes extra characters)\b.*$/s, '$1')
    .trim();
  const sentence = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

function maskedLine(
  text: string,
  lineCounter: LineCounter,
  line: number,
  masks: [number, number][],
): string {
  const start = lineCounter.lineStarts[line - 1] ?? 0;
  const next = lineCounter.lineStarts[line];
  const end = next === undefined ? text.length : next - 1;
  let snippet = text.slice(start, end).replace(/\r$/, '');
  for (const [from, to] of masks) {
    if (to <= start || from >= end) continue;
    const a = Math.max(from, start) - start;
    const b = Math.min(to, end) - start;
    snippet = snippet.slice(0, a) + '*'.repeat(Math.max(b - a, 0)) + snippet.slice(b);
  }
  return snippet;
}
