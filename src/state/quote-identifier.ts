/**
 * A name as SQL must spell it to mean exactly that name: in double quotes,
 * with any double quote doubled. Sessions run with an empty search_path, so
 * every table is written `schema.table`, both halves quoted.
 */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
