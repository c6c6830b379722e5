// Renders the config reference of README.md from schemas/pgdest.schema.json:
// a table per section with every key, its default and its description.
// `npm run generate:docs` rewrites the README between its markers; a unit
// test fails when the README is out of date.
import { readFileSync } from 'node:fs';

type Node = {
  $ref?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  type?: string | string[];
  properties?: Record<string, Node>;
  additionalProperties?: Node | boolean;
  items?: Node;
  required?: string[];
  pattern?: string;
};

const schema = JSON.parse(
  readFileSync(new URL('../schemas/pgdest.schema.json', import.meta.url), 'utf8'),
) as Node & { $defs: Record<string, Node> };

function resolve(node: Node): Node {
  if (!node.$ref) return node;
  const target = schema.$defs[node.$ref.replace('#/$defs/', '')]!;
  return {
    ...resolve(target),
    ...node,
    $ref: undefined,
    description: node.description ?? target.description,
  };
}

function typeOf(node: Node): string {
  const resolved = resolve(node);
  if (resolved.const !== undefined) return `\`${JSON.stringify(resolved.const)}\``;
  if (resolved.enum) return resolved.enum.map((value) => `\`${String(value)}\``).join(' \\| ');
  if (node.$ref === '#/$defs/secret') return 'secret';
  if (node.$ref === '#/$defs/duration') return 'duration';
  if (node.$ref === '#/$defs/name') return 'name';
  if (resolved.type === 'array' && resolved.items) return `list of ${typeOf(resolved.items)}`;
  return String(resolved.type ?? 'mapping');
}

function table(title: string, path: string, node: Node): string[] {
  const resolved = resolve(node);
  const rows = Object.entries(resolved.properties ?? {}).map(([key, child]) => {
    const value = resolve(child);
    const required = resolved.required?.includes(key)
      ? 'required'
      : value.default === undefined
        ? ''
        : `\`${Array.isArray(value.default) ? value.default.join(', ') : String(value.default)}\``;
    return `| \`${key}\` | ${typeOf(child)} | ${required} | ${(value.description ?? '').replace(/\|/g, '\\|')} |`;
  });
  return [
    `#### ${title}${path ? ` (\`${path}\`)` : ''}`,
    '',
    resolve(node).description ?? '',
    '',
    '| key | type | default | meaning |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ];
}

/** The Markdown of the reference, without the markers. */
export function renderConfigReference(): string {
  return [
    ...table('Top level', '', schema),
    ...table('A bastion', 'bastions.NAME', schema.$defs.bastion!),
    ...table('A destination', 'destinations.NAME', schema.$defs.destination!),
    ...table('A database', 'destinations.NAME.database, state.database', schema.$defs.database!),
    ...table('An admin login', 'destinations.NAME.admin', schema.$defs.admin!),
    ...table('State', 'state', schema.$defs.state!),
  ].join('\n');
}

export const referenceStart =
  '<!-- config-reference:start (generated from schemas/pgdest.schema.json by `npm run generate:docs`) -->';
export const referenceEnd = '<!-- config-reference:end -->';

if (import.meta.url === `file://${process.argv[1]}`) {
  const { writeFileSync } = await import('node:fs');
  const readmeUrl = new URL('../README.md', import.meta.url);
  const readme = readFileSync(readmeUrl, 'utf8');
  const start = readme.indexOf(referenceStart);
  const end = readme.indexOf(referenceEnd);
  if (start < 0 || end < start) throw new Error('README.md lacks the config reference markers');
  writeFileSync(
    readmeUrl,
    `${readme.slice(0, start + referenceStart.length)}\n\n${renderConfigReference()}\n${readme.slice(end)}`,
  );
  console.log('README.md: config reference updated');
}
