import schema from '../../schemas/pgdest.schema.json' with { type: 'json' };
import { didYouMean } from '../diagnostics/did-you-mean.ts';

/** The keys whose values are secrets: their values are never repeated in a message. */
export const secretKeys: ReadonlySet<string> = new Set(['password', 'passphrase', 'private_key']);

/** Every key the schema names, such as `private_key_file`, which is close to a secret key but is none. */
const schemaKeys = collectKeys(schema);

/**
 * Whether the value under `key` is hidden from snippets: a secret key, or a
 * key the schema does not know that reads like one (`pasword`, `Password`,
 * `db_password`, `secret`). Such a key is most likely a secret written under
 * a wrong name, and its value the secret itself.
 */
export function isSecretKey(key: string): boolean {
  if (secretKeys.has(key)) return true;
  if (schemaKeys.has(key)) return false;
  return (
    didYouMean(key, secretKeys) !== undefined ||
    /pass|secret|private|token|credential|pwd/i.test(key)
  );
}

/** Whether a value only names where a secret is read from, `${env:NAME}` or `${file:PATH}`. */
export function isSecretReference(value: unknown): boolean {
  return typeof value === 'string' && /^\$\{(env|file):[^}]*\}$/.test(value);
}

function collectKeys(node: unknown, keys = new Set<string>()): Set<string> {
  if (node === null || typeof node !== 'object') return keys;
  const properties = (node as { properties?: Record<string, unknown> }).properties;
  for (const key of Object.keys(properties ?? {})) keys.add(key);
  for (const child of Object.values(node)) collectKeys(child, keys);
  return keys;
}
