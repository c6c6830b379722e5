/**
 * Checks values one at a time and collects what is wrong, so that one error
 * lists every problem. On a problem it returns a stand-in value; the caller
 * throws before anything uses it.
 */
export class ShapeReader {
  readonly problems: string[] = [];

  object(
    value: unknown,
    path: string,
    keys?: readonly string[],
    expected = 'an object',
  ): Record<string, unknown> {
    if (!isRecord(value)) return this.reject(path, expected, {});
    for (const key of Object.keys(value)) {
      if (keys && !keys.includes(key)) this.problems.push(`${join(path, key)} is not a known key`);
    }
    return value;
  }

  text(value: unknown, path: string): string {
    return typeof value === 'string' && value !== ''
      ? value
      : this.reject(path, 'a non-empty string', '');
  }

  optionalText(value: unknown, path: string): string | undefined {
    return value === undefined ? undefined : this.text(value, path);
  }

  integer(value: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const valid =
      Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max;
    return valid ? (value as number) : this.reject(path, `an integer from ${min} to ${max}`, 0);
  }

  boolean(value: unknown, path: string): boolean {
    return typeof value === 'boolean' ? value : this.reject(path, 'true or false', false);
  }

  oneOf<T extends string>(value: unknown, path: string, choices: readonly T[]): T {
    return choices.includes(value as T)
      ? (value as T)
      : this.reject(path, `one of ${choices.join(', ')}`, choices[0]!);
  }

  timestamp(value: unknown, path: string): string {
    const valid =
      typeof value === 'string' &&
      /^\d{4}-\d\d-\d\dT/.test(value) &&
      !Number.isNaN(Date.parse(value));
    return valid ? value : this.reject(path, 'an ISO 8601 date and time', '');
  }

  list<T>(value: unknown, path: string, readItem: (item: unknown, path: string) => T): T[] {
    if (!Array.isArray(value)) return this.reject(path, 'a list', []);
    return value.map((item, index) => readItem(item, `${path}[${index}]`));
  }

  private reject<T>(path: string, expected: string, standIn: T): T {
    this.problems.push(`${path || 'the top level'} should be ${expected}`);
    return standIn;
  }
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** Whether `value` is a JSON object: not null and not a list. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
