import { isAlias, isMap, isSeq, type Node } from 'yaml';
import type { Diagnostic, SourceRange } from '../diagnostics/diagnostic.ts';
import type { YamlPath } from './config-source.ts';
import { keyText, type YamlTreeIndex } from './index-yaml-tree.ts';

/*
 * Both YAML parsers turn an alias into a second reference to the anchored
 * value, so reading is cheap; whatever walks the data afterwards (the schema
 * check, the secrets, the digest) visits each reference in full. A few lines
 * of nested aliases (`&b [*a, *a, ...]`, `&c [*b, *b, ...]`) thus stand for
 * billions of values. A file may expand to its own length in values, plus a
 * margin for merge keys and shared settings; a real config holds about one
 * value per ten bytes, and 100,000 values check in well under a second.
 */
const margin = 100_000;

/** How many values a file of this text may stand for once its aliases are expanded. */
export function maxExpandedValues(text: string): number {
  return margin + text.length;
}

/**
 * The number of values in `data` with every alias expanded: each object,
 * array and scalar counts one. Infinite when a value holds itself, as
 * `&a [*a]` does.
 */
export function countExpandedValues(data: unknown): number {
  const counted = new Map<object, number>();
  const open = new Set<object>();
  const count = (value: unknown): number => {
    if (value === null || typeof value !== 'object') return 1;
    const known = counted.get(value);
    if (known !== undefined) return known;
    if (open.has(value)) return Infinity;
    open.add(value);
    let total = 1;
    for (const child of Object.values(value)) total += count(child);
    open.delete(value);
    counted.set(value, total);
    return total;
  };
  return count(data);
}

/** The alias that makes a file too large once expanded, and how many values it stands for. */
export interface ExcessiveAlias {
  alias: Node & { source: string };
  path: YamlPath;
  /** Infinite when the alias sits inside the value it names. */
  values: number;
}

/**
 * Finds the alias that stands for the most values, the one to show when the
 * file expands too far; or the first alias that sits inside its own anchor,
 * which would expand forever.
 */
export function findExcessiveAlias(
  contents: unknown,
  index: YamlTreeIndex,
): ExcessiveAlias | undefined {
  const counted = new Map<Node, number>();
  const open = new Set<Node>();
  let largest: ExcessiveAlias | undefined;
  const count = (node: unknown, path: YamlPath, depth: number): number => {
    if (node === null || typeof node !== 'object' || depth > 256) return 1;
    if (isAlias(node)) {
      const target = index.resolve(node);
      const values = !target ? 1 : open.has(target) ? Infinity : (counted.get(target) ?? 1);
      if (largest?.values !== Infinity && (!largest || values > largest.values))
        largest = { alias: node, path, values };
      return values;
    }
    const known = counted.get(node as Node);
    if (known !== undefined) return known;
    open.add(node as Node);
    let total = 1;
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = keyText(pair.key);
        total += count(pair.value, key === undefined ? path : [...path, key], depth + 1);
      }
    } else if (isSeq(node)) {
      for (const [position, item] of node.items.entries())
        total += count(item, [...path, position], depth + 1);
    }
    open.delete(node as Node);
    counted.set(node as Node, total);
    return total;
  };
  count(contents, [], 0);
  return largest;
}

/** The problem shown for a file whose aliases expand too far, at the alias found. */
export function describeExcessiveAlias(
  found: ExcessiveAlias | undefined,
  limit: number,
  rangeAt: (start: number, end: number, path: YamlPath) => SourceRange,
): Diagnostic {
  const [start, end] = found?.alias.range ?? [0, 0];
  const source = rangeAt(start, end, found?.path ?? []);
  const name = `\`*${found?.alias.source ?? ''}\``;
  if (found?.values === Infinity) {
    return {
      severity: 'error',
      summary: 'Alias inside its own anchor',
      detail: `The alias ${name} stands for a value that holds the alias itself, so the value never ends.`,
      hint: 'Point the alias at an anchor outside the value that holds it, or write the value out.',
      source,
    };
  }
  const alias = found
    ? `The alias ${name} here stands for ${found.values.toLocaleString('en-US')} values, and the`
    : 'The';
  return {
    severity: 'error',
    summary: 'Aliases expand too far',
    detail: `${alias} aliases of this file expand to more than ${limit.toLocaleString('en-US')} values in all, which pgdest refuses: aliases nested this way can fill the memory from a few lines.`,
    hint: 'Write the repeated values out, or share settings with one level of aliases, such as `<<: *defaults`.',
    source,
  };
}
