import { readdirSync, readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';

const folder = new URL('../../schemas/', import.meta.url);
const ajv = new Ajv2020.default({ allErrors: true, strict: true, strictRequired: false });
for (const file of readdirSync(folder).filter(
  (name) => name.endsWith('.json') && name !== 'pgdest.schema.json',
)) {
  ajv.addSchema(JSON.parse(readFileSync(new URL(file, folder), 'utf8')), file);
}

/** The problems of `value` against schemas/`file`, as readable lines; empty when it conforms. */
export function schemaProblems(file: string, value: unknown): string[] {
  const validate = ajv.getSchema(file);
  if (!validate) throw new Error(`no schema ${file}`);
  if (validate(value)) return [];
  return (validate.errors ?? []).map(
    (error) =>
      `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`,
  );
}
