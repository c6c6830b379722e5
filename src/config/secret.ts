import { inspect } from 'node:util';

const hidden = '(sensitive)';

/**
 * A password, private key or passphrase. The value is kept in a private field,
 * so that it never reaches JSON, `util.inspect`, a log line or a stack trace;
 * only `reveal()` gives it out, at the moment a connection needs it.
 */
export class Secret {
  readonly #value: string | undefined;

  /**
   * @param origin where the value comes from, safe to print: `env:NAME`, `file:PATH` or `literal`
   * @param problem why the value could not be read, when it could not
   */
  constructor(
    readonly origin: string,
    value: string | undefined,
    readonly problem?: string,
  ) {
    this.#value = value;
  }

  get isAvailable(): boolean {
    return this.#value !== undefined;
  }

  /** The value itself. Throws when it could not be read; loading in connect mode prevents that. */
  reveal(): string {
    if (this.#value === undefined) {
      throw new Error(
        `secret from ${this.origin} is not available: ${this.problem ?? 'unknown reason'}`,
      );
    }
    return this.#value;
  }

  toString(): string {
    return hidden;
  }

  toJSON(): string {
    return hidden;
  }

  [inspect.custom](): string {
    return hidden;
  }
}
