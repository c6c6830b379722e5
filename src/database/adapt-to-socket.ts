import type { Duplex } from 'node:stream';

/** The socket methods pg's Connection calls on its `stream`. */
export interface SocketStandIns {
  connect(...args: unknown[]): this;
  setNoDelay(noDelay?: boolean): this;
  setKeepAlive(enable?: boolean, initialDelay?: number): this;
  ref(): this;
  unref(): this;
}

/**
 * Makes an already open stream (an SSH channel, a TLS socket over one, or a
 * connected TCP socket) pass for the unconnected socket pg expects: pg calls
 * `setNoDelay`, `connect(port, host)` and waits for `connect`, then may call
 * `setKeepAlive`. The stream is connected already, so `connect` only resumes it
 * and announces `connect` on the next tick, once pg has attached its reader.
 * Delay and keepalive belong to the TCP connection under the tunnel, which
 * ssh2 and the bastion own, so those calls do nothing here.
 */
export function adaptToSocket<T extends Duplex>(stream: T): T & SocketStandIns {
  const adapted = stream as T & SocketStandIns;
  Object.assign(adapted, {
    connect() {
      process.nextTick(() => {
        adapted.resume();
        adapted.emit('connect');
      });
      return adapted;
    },
    setNoDelay: () => adapted,
    setKeepAlive: () => adapted,
    // pg's Client.ref()/unref() pass through to these; a channel keeps the
    // process alive through its SSH connection instead.
    ...(typeof (stream as Partial<SocketStandIns>).ref === 'function'
      ? {}
      : { ref: () => adapted }),
    ...(typeof (stream as Partial<SocketStandIns>).unref === 'function'
      ? {}
      : { unref: () => adapted }),
  });
  return adapted;
}
