import { isMap, isScalar, isSeq, Scalar, type Node, type YAMLError } from 'yaml';
import type { Diagnostic, SourceRange } from '../diagnostics/diagnostic.ts';
import type { YamlPath } from './config-source.ts';
import { isSecretKey } from './secret-keys.ts';

/** A quoted scalar that never closes: where it opens, its YAML path, and where the parser gave up. */
export interface UnclosedQuote {
  node: Node;
  path: YamlPath;
  /** The offset at which the parser reported the missing quote: the end of the file or document. */
  reportedAt: number;
}

/**
 * Finds the quoted scalar behind a "Missing closing quote" error. The yaml
 * package reports it where the scalar ends, which is where the text ends,
 * since the open quote swallows everything after it; the scalar node itself
 * still knows where it opens.
 */
export function findUnclosedQuote(
  contents: unknown,
  errors: readonly YAMLError[],
): UnclosedQuote | undefined {
  const missing = errors.find(
    (error) => error.code === 'MISSING_CHAR' && /closing .?quote/i.test(error.message),
  );
  if (!missing) return undefined;
  const reportedAt = missing.pos[0];

  let found: UnclosedQuote | undefined;
  const visit = (node: unknown, depth: number, path: YamlPath): void => {
    if (found || depth > 64) return;
    if (isScalar(node)) {
      if (isQuoted(node) && node.range?.[1] === reportedAt) found = { node, path, reportedAt };
    } else if (isMap(node)) {
      for (const item of node.items) {
        visit(item.key, depth + 1, path);
        const key = isScalar(item.key) ? String(item.key.value) : undefined;
        visit(item.value, depth + 1, key === undefined ? path : [...path, key]);
      }
    } else if (isSeq(node)) {
      for (const [index, item] of node.items.entries()) visit(item, depth + 1, [...path, index]);
    }
  };
  visit(contents, 0, []);
  return found;
}

/** The problem shown for an unclosed quote: at the line where it opens. */
export function describeUnclosedQuote(
  { node, path, reportedAt }: UnclosedQuote,
  text: string,
  rangeAt: (start: number, end: number, path: YamlPath) => SourceRange,
): Diagnostic {
  const start = node.range?.[0] ?? reportedAt;
  const lineEnd = text.indexOf('\n', start);
  const source = rangeAt(start, lineEnd === -1 ? text.length : lineEnd, path);
  const quote = text.charAt(start);
  // The line may hold a secret whose closing quote is missing: hide what follows the quote.
  const key = path[path.length - 1];
  if (typeof key === 'string' && isSecretKey(key) && source.snippet !== undefined) {
    const from = source.column;
    source.snippet = source.snippet.slice(0, from) + '*'.repeat(source.snippet.length - from);
  }
  return {
    severity: 'error',
    summary: 'Invalid YAML',
    detail: `The quoted value that opens here with \`${quote}\` is never closed, so the rest of the file is read as part of it.`,
    hint: `Add the closing \`${quote}\` where the value ends.`,
    source,
  };
}

function isQuoted(node: Scalar): boolean {
  return node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE;
}
