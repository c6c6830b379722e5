import { isNode, isScalar, Scalar, visit } from 'yaml';
import { keyText } from './index-yaml-tree.ts';
import { isSecretKey, isSecretReference } from './secret-keys.ts';

/**
 * The text ranges of every value written under a secret key in a YAML tree,
 * in block or flow style, over as many lines as it takes (a `private_key: |`
 * block), whatever else is wrong with the file. References to a secret,
 * `${env:NAME}` and `${file:PATH}`, are shown.
 */
export function findSecretValues(contents: unknown): [number, number][] {
  const ranges: [number, number][] = [];
  if (!isNode(contents)) return ranges;
  visit(contents, {
    Pair(_, pair) {
      const key = keyText(pair.key);
      if (key === undefined || !isSecretKey(key) || !isNode(pair.value)) return;
      const { value } = pair;
      if (isScalar(value) && isSecretReference(value.value)) return;
      // The opening quote is kept, so that an unclosed one still shows.
      const quoted =
        isScalar(value) &&
        (value.type === Scalar.QUOTE_DOUBLE || value.type === Scalar.QUOTE_SINGLE);
      if (value.range) ranges.push([value.range[0] + (quoted ? 1 : 0), value.range[1]]);
    },
  });
  return ranges;
}

/** A key followed by its colon, in block or flow style, quoted or not. */
const keyPattern = /(?<=^|[\s{[,?-])(["']?)([\w.-]+)\1[ \t]*:/g;

/** A reference to a secret at the start of a value, quoted or not. */
const referencePattern = /^\s*(["']?)\$\{(env|file):[^}]*\}\1/;

/**
 * Hides the secrets in the lines of a file as snippets show them, from the
 * text alone, since a file that fails to parse has no tree to tell where a
 * value ends: what follows a secret key on its line (`password: hunter2: x`,
 * an unclosed flow mapping), and the lines below it that may continue the
 * value (a `private_key: |` block, even one indented wrongly). References
 * to a secret, `${env:NAME}` and `${file:PATH}`, are shown.
 */
export function createSecretHider(text: string): (line: number, snippet: string) => string {
  let continued: Set<number> | undefined;
  return (line, snippet) => {
    continued ??= findContinuedSecrets(text.split('\n'));
    if (!continued.has(line)) return hideAfterSecretKey(snippet)?.line ?? snippet;
    const indent = /^\s*/.exec(snippet)![0].length;
    return snippet.slice(0, indent) + '*'.repeat(snippet.length - indent);
  };
}

/**
 * The numbers of the lines that may continue a secret value begun on an
 * earlier line: those indented deeper than its key, or as deep but not a
 * key, or indented with tabs, which YAML does not read as indentation.
 */
function findContinuedSecrets(lines: readonly string[]): Set<number> {
  const continued = new Set<number>();
  let keyColumn: number | undefined;
  for (const [index, line] of lines.entries()) {
    const indentation = /^[ \t]*/.exec(line)![0];
    const content = line.slice(indentation.length).trim();
    if (keyColumn !== undefined && content !== '') {
      const isKey = /^["']?[\w.-]+["']?[ \t]*:(\s|$)/.test(content);
      const within =
        indentation.includes('\t') ||
        indentation.length > keyColumn ||
        (indentation.length === keyColumn && !isKey);
      if (within) continued.add(index + 1);
      else keyColumn = undefined;
    }
    if (keyColumn === undefined) keyColumn = hideAfterSecretKey(line)?.keyColumn;
  }
  return continued;
}

/**
 * The line with what follows its first secret key hidden, and the column of
 * that key; undefined when the line holds none, or its value only refers to
 * a secret. An opening quote is kept, so that an unclosed one still shows.
 */
function hideAfterSecretKey(line: string): { line: string; keyColumn: number } | undefined {
  for (const match of line.matchAll(keyPattern)) {
    if (!isSecretKey(match[2]!)) continue;
    const start = match.index + match[0].length;
    const rest = line.slice(start);
    const reference = referencePattern.exec(rest)?.[0];
    if (reference !== undefined) {
      const inFlow = /[{[]/.test(line.slice(0, match.index));
      const after = rest.slice(reference.length);
      if (/^\s*(#.*)?$/.test(after) || (inFlow && /^\s*[,}\]]/.test(after))) continue;
    }
    const value = /^\s*["']?/.exec(rest)![0].length;
    return {
      line: line.slice(0, start + value) + '*'.repeat(rest.length - value),
      keyColumn: match.index,
    };
  }
  return undefined;
}
