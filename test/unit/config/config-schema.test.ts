import { describe, expect, it } from 'vitest';
import schema from '../../../schemas/pgdest.schema.json' with { type: 'json' };

interface SchemaNode {
  description?: string;
  $ref?: string;
}

/** Keywords whose subschemas only narrow properties declared elsewhere. */
const narrowing = new Set(['oneOf', 'anyOf', 'allOf', 'not', 'if', 'then', 'else']);

/** Every property the schema declares, by where it is declared. */
function collectProperties(node: unknown, path: string): [string, SchemaNode][] {
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, child]): [string, SchemaNode][] => {
    if (narrowing.has(key)) return [];
    if (key !== 'properties') return collectProperties(child, `${path}/${key}`);
    return Object.entries(child as Record<string, SchemaNode>).flatMap(([name, property]) => [
      [`${path}/properties/${name}`, property],
      ...collectProperties(property, `${path}/properties/${name}`),
    ]);
  });
}

/** A property's description, or that of the definition it points at. */
function describedBy(property: SchemaNode): string | undefined {
  if (property.description) return property.description;
  const name = property.$ref?.replace('#/$defs/', '');
  return name ? (schema.$defs as Record<string, SchemaNode>)[name]?.description : undefined;
}

describe('the config schema', () => {
  it('describes every property, for editors and the README reference', () => {
    const properties = collectProperties(schema, '#');
    expect(properties.length).toBeGreaterThan(30);
    expect(
      properties.filter(([, property]) => !describedBy(property)).map(([path]) => path),
    ).toEqual([]);
  });
});
