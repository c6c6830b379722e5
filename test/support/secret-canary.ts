import { inspect } from 'node:util';
import type { UserError } from '../../src/diagnostics/diagnostic.ts';

/**
 * Everything a user could be shown about an error: its message, its
 * diagnostics, its causes with their stacks, and util.inspect's rendering of
 * it (which includes every enumerable field). Tests search this for secrets.
 */
export function renderErrorForUser(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 10; depth++) {
    if (current instanceof Error) {
      parts.push(current.message, current.stack ?? '');
      for (const diagnostic of (current as Partial<UserError>).diagnostics ?? []) {
        parts.push(diagnostic.summary, diagnostic.detail ?? '', diagnostic.hint ?? '');
      }
      current = current.cause;
    } else {
      parts.push(String(current));
      current = undefined;
    }
  }
  parts.push(inspect(error, { depth: 10 }));
  return parts.join('\n');
}

/** The secrets (or long lines of them) that occur in `text`, for an assertion that lists none. */
export function findSecrets(text: string, secrets: readonly string[]): string[] {
  const found: string[] = [];
  for (const secret of secrets) {
    const pieces = [
      secret,
      ...secret
        .split(/\r?\n/)
        .filter((line) => line.trim().length >= 16 && !/^-----/.test(line.trim())),
    ];
    if (pieces.some((piece) => text.includes(piece.trim()))) {
      found.push(secret.length > 24 ? `${secret.slice(0, 12)}...` : secret);
    }
  }
  return found;
}
