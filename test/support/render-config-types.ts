import { readFile } from 'node:fs/promises';
import { compile, type JSONSchema } from 'json-schema-to-typescript';

const banner = `/* The raw configuration as the YAML holds it, generated from
 * schemas/pgdest.schema.json by \`npm run generate:types\`. Do not edit. */`;

/** Renders the TypeScript types of the raw configuration from the schema. */
export async function renderConfigTypes(): Promise<string> {
  const url = new URL('../../schemas/pgdest.schema.json', import.meta.url);
  const schema = JSON.parse(await readFile(url, 'utf8')) as JSONSchema;
  // "Exactly one of private_key, private_key_file or agent" is a rule that a
  // TypeScript type cannot hold without losing the properties themselves; the
  // types keep the three keys optional and the schema keeps the rule.
  delete (schema.$defs as Record<string, JSONSchema>).bastion!.oneOf;
  return compile(schema, 'PgdestConfig', {
    bannerComment: banner,
    additionalProperties: false,
    unreachableDefinitions: false,
    style: { printWidth: 100, singleQuote: true },
  });
}
