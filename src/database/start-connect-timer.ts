import type { Duplex } from 'node:stream';

/** One deadline for the steps of a connection, each of which waits on a stream. */
export interface ConnectTimer {
  /** Whether the deadline passed; the pending step then fails with a stream error. */
  readonly expired: boolean;
  /** Destroys this stream, too, when the deadline passes. */
  watch(stream: Duplex): void;
  remainingMs(): number;
  stop(): void;
}

/**
 * Starts a deadline that destroys the watched streams when it passes, which
 * makes whatever waits on them (TCP connect, TLS, pg's login) fail at once.
 * The caller checks `expired` to tell a timeout from any other failure.
 */
export function startConnectTimer(limitMs: number): ConnectTimer {
  const deadline = performance.now() + limitMs;
  const streams = new Set<Duplex>();
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    for (const stream of streams) stream.destroy(new Error('timeout expired'));
  }, limitMs);

  return {
    get expired() {
      return expired;
    },
    watch(stream) {
      streams.add(stream);
    },
    remainingMs() {
      return Math.max(0, Math.round(deadline - performance.now()));
    },
    stop() {
      clearTimeout(timer);
      streams.clear();
    },
  };
}
