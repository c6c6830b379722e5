import type { Environment } from './resolve-secret.ts';
import { Secret } from './secret.ts';

/**
 * Reads a secret again from the origin that state recorded (`env:NAME` or
 * `file:PATH`), for a destination that the config no longer declares. A
 * literal secret was never recorded, so it cannot be read back.
 */
export function secretFromOrigin(
  origin: string | undefined,
  environment: Environment,
): Secret | undefined {
  if (origin === undefined) return undefined;
  if (origin.startsWith('env:')) {
    const name = origin.slice(4);
    const value = environment.env[name];
    return new Secret(origin, value, value === undefined ? 'not set' : undefined);
  }
  if (origin.startsWith('file:')) {
    try {
      return new Secret(origin, environment.readFile(origin.slice(5)).replace(/\r?\n$/, ''));
    } catch {
      return new Secret(origin, undefined, 'cannot be read');
    }
  }
  return new Secret(origin, undefined, 'a literal secret is not kept in state');
}
