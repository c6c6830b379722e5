import type { Logger } from '../../src/diagnostics/logger.ts';

/** A Logger that keeps every line, for tests that assert on logs or search them for secrets. */
export interface CapturingLogger extends Logger {
  /** Every line so far, as `debug tunnel: message` or `warn tunnel: message`. */
  readonly lines: string[];
  /** The warn lines only, without their prefix. */
  warnings(): string[];
  /** All lines joined by newlines. */
  text(): string;
  clear(): void;
}

/** Creates a Logger that records its lines instead of printing them. */
export function createCapturingLogger(): CapturingLogger {
  const lines: string[] = [];
  const warnings: string[] = [];
  return {
    lines,
    debug(scope, message) {
      lines.push(`debug ${scope}: ${message}`);
    },
    warn(scope, message) {
      lines.push(`warn ${scope}: ${message}`);
      warnings.push(message);
    },
    warnings: () => [...warnings],
    text: () => lines.join('\n'),
    clear() {
      lines.length = 0;
      warnings.length = 0;
    },
  };
}
