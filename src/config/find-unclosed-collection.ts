import { isMap, isSeq, visit, type YAMLError, type YAMLMap, type YAMLSeq } from 'yaml';
import type { Diagnostic, SourceRange } from '../diagnostics/diagnostic.ts';
import type { YamlPath } from './config-source.ts';

/** A flow mapping or list that never closes, and where the parser reported it. */
export interface UnclosedCollection {
  node: YAMLMap | YAMLSeq;
  /** The offset at which the parser reported the missing bracket: where it gave up on it. */
  reportedAt: number;
}

/**
 * Finds the flow collection (`{...}` or `[...]`) behind a missing `}` or `]`.
 * The yaml package reports it where it stops reading the collection, often
 * lines below, and reports an outer collection whose bracket the inner one
 * took as unclosed too; the innermost is the one to fix, shown where it opens.
 */
export function findUnclosedCollection(
  contents: unknown,
  errors: readonly YAMLError[],
): UnclosedCollection | undefined {
  const reported = new Set(
    errors
      .filter((error) =>
        /must (be sufficiently indented and )?end with a [}\]]/.test(error.message),
      )
      .map((error) => error.pos[0]),
  );
  if (reported.size === 0 || contents === null || typeof contents !== 'object') return undefined;

  let found: UnclosedCollection | undefined;
  const consider = (node: YAMLMap | YAMLSeq) => {
    const end = node.range?.[1];
    if (!node.flow || end === undefined || !reported.has(end)) return;
    if (!found || (node.range?.[0] ?? 0) > (found.node.range?.[0] ?? 0))
      found = { node, reportedAt: end };
  };
  visit(contents as Parameters<typeof visit>[0], {
    Map: (_, node) => consider(node),
    Seq: (_, node) => consider(node),
  });
  return found;
}

/** The problem shown for an unclosed flow collection: at the line where it opens. */
export function describeUnclosedCollection(
  { node, reportedAt }: UnclosedCollection,
  text: string,
  rangeAt: (start: number, end: number, path: YamlPath) => SourceRange,
  path: YamlPath,
): Diagnostic {
  const start = node.range?.[0] ?? reportedAt;
  const lineEnd = text.indexOf('\n', start);
  const [what, close] = isMap(node) ? ['flow mapping', '}'] : ['flow list', ']'];
  return {
    severity: 'error',
    summary: 'Invalid YAML',
    detail: `The ${what} that opens here with \`${text.charAt(start)}\` is never closed, so the lines after it are read as part of it.`,
    hint: `Add the closing \`${close}\` where the ${isSeq(node) ? 'list' : 'mapping'} ends, or write it in block style, one item a line.`,
    source: rangeAt(start, lineEnd === -1 ? text.length : lineEnd, path),
  };
}
