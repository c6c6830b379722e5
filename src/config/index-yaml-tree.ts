import { isAlias, isMap, isScalar, isSeq, type Node, type Pair } from 'yaml';
import type { YamlPath } from './config-source.ts';

/** Where a path leads in the YAML tree. */
export interface FoundNode {
  key?: Node;
  value?: Node;
  /** How many steps of the path were found; the rest does not exist in the file. */
  depth: number;
  exact: boolean;
}

/** A key written a second time in one mapping, with the first and the YAML path of both. */
export interface DuplicateKey {
  key: Node;
  first: Node;
  path: YamlPath;
}

/**
 * One document's YAML tree, indexed in one pass: the keys of every mapping,
 * the merge keys, and what each alias stands for.
 */
export interface YamlTreeIndex {
  /** The keys seen twice in a mapping; the index holds the last, as the plain data does. */
  duplicates: DuplicateKey[];
  /** Walks the tree along `path`, through aliases and merge keys, to the deepest node that exists. */
  find(path: YamlPath): FoundNode;
  /** The path of the deepest entry whose text holds `offset`, for problems the parser reports. */
  pathAt(offset: number): YamlPath;
  /** The node an alias stands for: the last anchor of its name before it. */
  resolve(alias: Node): Node | undefined;
}

/** Mappings nested deeper than this are left unindexed: no pgdest config comes near it. */
const maxDepth = 64;

export function indexYamlTree(contents: unknown): YamlTreeIndex {
  const keys = new Map<unknown, Map<string, Pair>>();
  const merges = new Map<unknown, unknown[]>();
  const anchors = new Map<string, Node>();
  const targets = new Map<unknown, Node>();
  const duplicates: DuplicateKey[] = [];

  // In document order, so that an alias finds the anchor written before it.
  const visit = (node: unknown, depth: number, path: YamlPath): void => {
    if (depth > maxDepth || !isTreeNode(node)) return;
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (target) targets.set(node, target);
      return;
    }
    if (node.anchor) anchors.set(node.anchor, node);
    if (isMap(node)) {
      const index = new Map<string, Pair>();
      keys.set(node, index);
      for (const item of node.items) {
        if (isMergeKey(item.key)) {
          merges.set(node, [...(merges.get(node) ?? []), item.value]);
          visit(item.value, depth + 1, path);
          continue;
        }
        const key = keyText(item.key);
        if (key !== undefined) {
          const earlier = index.get(key);
          if (earlier && isTreeNode(earlier.key) && isTreeNode(item.key))
            duplicates.push({ key: item.key, first: earlier.key, path: [...path, key] });
          index.set(key, item);
        }
        visit(item.value, depth + 1, key === undefined ? path : [...path, key]);
      }
    } else if (isSeq(node)) {
      for (const [position, item] of node.items.entries())
        visit(item, depth + 1, [...path, position]);
    }
  };
  visit(contents, 0, []);

  const resolve = (node: unknown): Node | undefined =>
    isAlias(node) ? targets.get(node) : isTreeNode(node) ? node : undefined;

  // A key missing from a mapping may come from its merge keys: `<<: *defaults`
  // or `<<: [*a, *b]`, where the first source that holds the key wins.
  const lookup = (map: unknown, key: string, depth: number): Pair | undefined => {
    const own = keys.get(map)?.get(key);
    if (own || depth > maxDepth) return own;
    for (const merged of merges.get(map) ?? []) {
      const target = resolve(merged);
      const sources = isSeq(target) ? target.items.map(resolve) : [target];
      for (const source of sources) {
        const found = isMap(source) ? lookup(source, key, depth + 1) : undefined;
        if (found) return found;
      }
    }
    return undefined;
  };

  const find = (path: YamlPath): FoundNode => {
    let found: FoundNode = {
      value: isTreeNode(contents) ? contents : undefined,
      depth: 0,
      exact: path.length === 0,
    };
    let node = resolve(contents);
    for (const [index, step] of path.entries()) {
      let pair: Pair | undefined;
      let value: unknown;
      if (isMap(node)) {
        pair = lookup(node, String(step), 0);
        value = pair?.value;
      } else if (isSeq(node) && typeof step === 'number') {
        value = node.items[step];
      }
      if (!pair && value === undefined) return found;
      found = {
        key: pair && isTreeNode(pair.key) ? pair.key : undefined,
        value: isTreeNode(value) ? value : undefined,
        depth: index + 1,
        exact: index + 1 === path.length,
      };
      node = resolve(value);
    }
    return found;
  };

  const pathAt = (offset: number): YamlPath => {
    const path: (string | number)[] = [];
    let node: unknown = contents;
    for (let depth = 0; depth <= maxDepth; depth++) {
      let next: unknown;
      if (isMap(node)) {
        const item = node.items.find((pair) => holds(pair, offset));
        const key = item && keyText(item.key);
        if (!item || key === undefined) break;
        path.push(key);
        next = item.value;
      } else if (isSeq(node)) {
        const position = node.items.findIndex((item) => holds(item, offset));
        if (position === -1) break;
        path.push(position);
        next = node.items[position];
      } else {
        break;
      }
      if (!isTreeNode(next) || !next.range || offset < next.range[0] || offset > endOf(next, 0))
        break;
      // A problem at the start of a mapping or list is about it as a whole.
      if (offset === next.range[0]) break;
      node = next;
    }
    return path;
  };

  return { duplicates, find, pathAt, resolve };
}

/**
 * A key as the plain data holds it. A collection used as a key (`? [a, b]`)
 * becomes text the way js-yaml, the fast parser, writes it: the items joined
 * by commas, or `[object Object]` for a mapping. A merge key (`<<`) is none.
 */
export function keyText(key: unknown): string | undefined {
  if (isMergeKey(key)) return undefined;
  if (isScalar(key)) return String(key.value);
  if (isMap(key)) return '[object Object]';
  if (isSeq(key)) {
    const items = key.items.map((item) =>
      isScalar(item)
        ? item.value === null || item.value === undefined
          ? ''
          : String(item.value)
        : isMap(item)
          ? '[object Object]'
          : undefined,
    );
    return items.includes(undefined) ? undefined : items.join(',');
  }
  return undefined;
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && (typeof key.value === 'symbol' || key.value === '<<');
}

function isTreeNode(value: unknown): value is Node {
  return value !== null && typeof value === 'object' && 'range' in value;
}

/**
 * Whether a mapping entry or sequence item spans `offset`, from its key to
 * the end of its value, not counting the line breaks and comments after it.
 */
function holds(item: Pair | unknown, offset: number): boolean {
  const pair = item as Partial<Pair>;
  const first = isTreeNode(item) ? item : isTreeNode(pair.key) ? pair.key : pair.value;
  const last = isTreeNode(item) ? item : isTreeNode(pair.value) ? pair.value : pair.key;
  const start = isTreeNode(first) ? first.range?.[0] : undefined;
  return start !== undefined && offset >= start && offset <= endOf(last, 0);
}

/**
 * Where a node's text ends. A block collection ends with its last item, not
 * at the line that follows it, which may be where the parser stumbled.
 */
function endOf(node: unknown, depth: number): number {
  if (!isTreeNode(node)) return -1;
  if ((isMap(node) || isSeq(node)) && !node.flow && node.items.length > 0 && depth < maxDepth) {
    const item: unknown = node.items[node.items.length - 1];
    const pair = item as Partial<Pair>;
    const last = isTreeNode(item) ? item : isTreeNode(pair.value) ? pair.value : pair.key;
    return Math.max(endOf(last, depth + 1), node.range?.[0] ?? -1);
  }
  return node.range?.[1] ?? -1;
}
