import { connect, createServer, type Socket } from 'node:net';

/**
 * What the proxy does: `forward` relays connections (after the delay);
 * `blackhole` accepts new connections and never answers nor forwards them, and
 * silently drops whatever open connections send from then on, like a link that
 * died; `reset` accepts new connections and resets them at once.
 */
export type ProxyMode = 'forward' | 'blackhole' | 'reset';

export interface TcpProxyOptions {
  /** Where forwarded connections go; it must be reachable from the host. */
  target: { host: string; port: number };
  /** Delay added to each direction, so the round trip grows by twice this. */
  delayMs?: number;
  mode?: ProxyMode;
}

/**
 * A TCP proxy of our own on 127.0.0.1, standing in for network conditions this
 * kernel cannot make (no tc netem).
 */
export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly connectionCount: number;
  /** Changes the one-way delay for data sent from now on. */
  setDelay(ms: number): void;
  /** Changes the mode; `blackhole` also silences open connections. */
  setMode(mode: ProxyMode): void;
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

/** Starts a proxy on a random port of 127.0.0.1. */
export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  let delayMs = options.delayMs ?? 0;
  let mode: ProxyMode = options.mode ?? 'forward';
  let connectionCount = 0;
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    // A link delays bytes; it does not hold small writes back until the
    // previous ones are acknowledged, as Nagle's algorithm would here.
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
  };

  const server = createServer((client) => {
    connectionCount++;
    track(client);
    if (mode === 'reset') return void client.resetAndDestroy();
    if (mode === 'blackhole') return void client.resume();
    const upstream = connect(options.target);
    track(upstream);
    const behaviour = { delay: () => delayMs, isDropping: () => mode === 'blackhole' };
    relay(client, upstream, behaviour);
    relay(upstream, client, behaviour);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('proxy has no address');

  return {
    host: '127.0.0.1',
    port: address.port,
    get connectionCount() {
      return connectionCount;
    },
    setDelay: (ms) => void (delayMs = ms),
    setMode: (next) => void (mode = next),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// Chunks leave in arrival order, each `delay` after it arrived; one timer at a
// time drains the queue. An end or reset follows the last chunk.
function relay(
  from: Socket,
  to: Socket,
  behaviour: { delay: () => number; isDropping: () => boolean },
): void {
  const queue: Array<{ due: number; chunk: Buffer | null }> = [];
  let timer: NodeJS.Timeout | undefined;

  const drain = (): void => {
    timer = undefined;
    const now = Date.now();
    while (queue.length > 0 && queue[0]!.due <= now) {
      const { chunk } = queue.shift()!;
      if (chunk === null) to.end();
      else to.write(chunk);
    }
    if (queue.length > 0) timer = setTimeout(drain, queue[0]!.due - now);
  };
  const enqueue = (chunk: Buffer | null): void => {
    queue.push({ due: Date.now() + behaviour.delay(), chunk });
    if (timer === undefined) timer = setTimeout(drain, Math.max(0, queue[0]!.due - Date.now()));
  };

  from.on('data', (chunk: Buffer) => {
    if (!behaviour.isDropping()) enqueue(chunk);
  });
  from.once('end', () => enqueue(null));
  from.once('close', (hadError) => {
    if (hadError) to.destroy();
  });
}
