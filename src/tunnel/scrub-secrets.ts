import type { Secret } from '../config/secret.ts';

const mask = '(sensitive)';

/*
 * ssh2 and pg build some messages from their input, and a key file's text or a
 * password could end up in an error that we print. Every error that leaves the
 * tunnel or database code passes through scrubError with the secrets of the
 * connection it concerns.
 */

/**
 * The strings to hide for the given secrets: each value, and for multi-line
 * values such as private keys each long line as well, since a message may quote
 * one line of a key.
 */
export function collectSecretTexts(secrets: ReadonlyArray<Secret | undefined>): string[] {
  const texts = new Set<string>();
  for (const secret of secrets) {
    if (!secret?.isAvailable) continue;
    const value = secret.reveal();
    if (value.length === 0) continue;
    texts.add(value);
    for (const line of value.split(/\r?\n/)) {
      if (line.trim().length >= 16) texts.add(line.trim());
    }
  }
  // Longest first, so that a line of a key is not masked before the whole key.
  return [...texts].sort((a, b) => b.length - a.length);
}

/** The text with every secret replaced by `(sensitive)`. */
export function scrubText(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (result.includes(secret)) result = result.split(secret).join(mask);
  }
  return result;
}

/**
 * Removes the secrets from an error in place: its message, stack, every string
 * property (pg's `detail`, `hint`, `where`...) and its causes. Returns the same
 * error for chaining.
 */
export function scrubError<T>(error: T, secrets: readonly string[], seen = new Set<unknown>()): T {
  if (secrets.length === 0 || typeof error !== 'object' || error === null || seen.has(error)) {
    return error;
  }
  seen.add(error);
  const record = error as Record<string, unknown>;
  for (const key of Object.getOwnPropertyNames(error)) {
    const value = record[key];
    if (typeof value === 'string') {
      const clean = scrubText(value, secrets);
      if (clean !== value) writeProperty(record, key, clean);
    } else if (key === 'cause' || value instanceof Error) {
      scrubError(value, secrets, seen);
    }
  }
  return error;
}

function writeProperty(record: Record<string, unknown>, key: string, value: string): void {
  try {
    record[key] = value;
  } catch {
    // A frozen or getter-only property: define it over, which works on
    // configurable ones; any other is left alone rather than crash the report.
    try {
      Object.defineProperty(record, key, { value, configurable: true, writable: true });
    } catch {
      /* left as it was */
    }
  }
}
