import { homedir } from 'node:os';
import type { Duplex } from 'node:stream';
import type ssh2 from 'ssh2';
import type { Bastion } from '../config/model.ts';
import type { Logger } from '../diagnostics/logger.ts';
import { connectBastion, type BastionConnection } from './connect-bastion.ts';
import type { Hop } from './hop.ts';
import { openForwardedChannel } from './open-forwarded-channel.ts';

/** A forwarded channel: a Duplex stream to the target, carried by the bastion's SSH connection. */
export type Channel = ssh2.ClientChannel;

export interface TunnelPoolOptions {
  logger: Logger;
  /**
   * How long opening one forwarded channel may take; default 10 s. A channel
   * to a bastion reached `via` another counts against that bastion's
   * connect_timeout instead.
   */
  channelTimeoutMs?: number;
  /** The home folder whose .ssh/known_hosts is the default; default the user's. */
  homeDir?: string;
  /**
   * The SSH agent's socket for agent authentication. When the key is absent,
   * SSH_AUTH_SOCK of this process, as ssh reads it; when present but
   * undefined, there is no agent.
   */
  agentSocket?: string;
}

/** The default time a forwarded channel may take to open. */
export const defaultChannelTimeoutMs = 10_000;

// How long close() waits for a bastion to acknowledge the disconnect.
const closeGraceMs = 2_000;

/**
 * One SSH connection per bastion for the whole run, opened on first use and
 * shared by every destination behind it; each database session is a forwarded
 * channel on it, so no local port is ever opened. Concurrent callers of one
 * bastion share one connection attempt, and channels open concurrently.
 *
 * A failed connection attempt is kept for the run, so that fifty destinations
 * behind a bastion that refuses us report the same error instead of trying
 * fifty times; a connection that closes later (keepalive timeout, bastion
 * restart) is forgotten, and the next channel reconnects.
 */
export class TunnelPool {
  readonly #bastions: ReadonlyMap<string, Bastion>;
  readonly #logger: Logger;
  readonly #channelTimeoutMs: number;
  readonly #homeDir: string;
  readonly #agentSocket: string | undefined;
  readonly #connections = new Map<string, Promise<BastionConnection>>();
  readonly #hops = new Map<string, Hop>();
  #closed = false;

  constructor(bastions: ReadonlyMap<string, Bastion>, options: TunnelPoolOptions) {
    this.#bastions = bastions;
    this.#logger = options.logger;
    this.#channelTimeoutMs = options.channelTimeoutMs ?? defaultChannelTimeoutMs;
    this.#homeDir = options.homeDir ?? homedir();
    // A caller that passes agentSocket, even undefined, has read the
    // environment itself (the CLI reads its own); only without one do we.
    this.#agentSocket = 'agentSocket' in options ? options.agentSocket : process.env.SSH_AUTH_SOCK;
  }

  /** Connects to a bastion, and to the ones it is reached through, unless already connected. */
  async connect(bastionName: string): Promise<void> {
    await this.#connection(bastionName, 0);
  }

  /**
   * Opens a forwarded channel to host:port as the bastion sees them.
   * `label` names the target in messages; default `host:port`.
   */
  async openChannel(
    bastionName: string,
    host: string,
    port: number,
    label = `${host}:${port}`,
  ): Promise<Channel> {
    const connection = await this.#connection(bastionName, 0);
    const bastion = this.#bastion(bastionName);
    const started = performance.now();
    const channel = await openForwardedChannel(
      connection.client,
      bastion,
      { host, port, label },
      this.#channelTimeoutMs,
    );
    const elapsed = Math.round(performance.now() - started);
    this.#logger.debug(
      'tunnel',
      `channel to ${host}:${port} opened via ${connection.hop.endpoint} in ${elapsed} ms`,
    );
    return channel;
  }

  /** The `SHA256:` fingerprint the bastion presented, once connected. */
  hostKeyOf(bastionName: string): string | undefined {
    return this.#hops.get(bastionName)?.hostKey;
  }

  /** The hops connected on the way to a bastion, outermost first, with their timings. */
  describeHops(bastionName: string): Hop[] {
    const hop = this.#hops.get(bastionName);
    if (hop === undefined) return [];
    const outer = hop.through === undefined ? [] : this.describeHops(hop.through);
    return [...outer, hop];
  }

  /** Ends every connection, innermost first, and refuses new channels. */
  async close(): Promise<void> {
    this.#closed = true;
    const settled = await Promise.allSettled([...this.#connections.values()]);
    const open = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    open.sort((a, b) => this.#depthOf(b.hop.bastion) - this.#depthOf(a.hop.bastion));
    for (const connection of open) await endConnection(connection.client);
    this.#connections.clear();
  }

  #connection(name: string, depth: number): Promise<BastionConnection> {
    if (this.#closed) {
      const message = `the tunnel pool is closed; cannot connect to bastion "${name}"`;
      return Promise.reject(new Error(message));
    }
    const existing = this.#connections.get(name);
    if (existing !== undefined) return existing;

    const pending = this.#open(this.#bastion(name), depth);
    this.#connections.set(name, pending);
    pending.then(
      (connection) => {
        this.#hops.set(name, connection.hop);
        connection.client.once('close', () => {
          if (this.#connections.get(name) === pending) this.#connections.delete(name);
          this.#logger.debug('tunnel', `connection to ${connection.hop.endpoint} closed`);
        });
      },
      () => {},
    );
    return pending;
  }

  async #open(bastion: Bastion, depth: number): Promise<BastionConnection> {
    const options = {
      logger: this.#logger,
      homeDir: this.#homeDir,
      agentSocket: this.#agentSocket,
    };
    if (bastion.via === undefined) return connectBastion(bastion, options);

    // Validation refuses cycles; this guards the recursion all the same.
    if (depth >= this.#bastions.size) {
      throw new Error(`bastion "${bastion.name}" is reached through a cycle of via`);
    }
    const outer = await this.#connection(bastion.via, depth + 1);
    const outerBastion = this.#bastion(bastion.via);
    const target = {
      host: bastion.host,
      port: bastion.port,
      label: `bastion "${bastion.name}" at ${bastion.host}:${bastion.port}`,
      isBastion: true,
    };
    // The channel is this bastion's TCP step, so its connect_timeout, not the
    // channel timeout, limits it; connectBastion opens one per attempt.
    return connectBastion(bastion, {
      ...options,
      via: {
        name: bastion.via,
        openChannel: (timeoutMs) =>
          openForwardedChannel(outer.client, outerBastion, target, timeoutMs),
      },
    });
  }

  #bastion(name: string): Bastion {
    const bastion = this.#bastions.get(name);
    if (bastion === undefined) throw new Error(`unknown bastion "${name}"`);
    return bastion;
  }

  #depthOf(name: string, depth = 0): number {
    const via = this.#bastions.get(name)?.via;
    return via === undefined || depth >= this.#bastions.size
      ? depth
      : this.#depthOf(via, depth + 1);
  }
}

function endConnection(client: ssh2.Client): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.destroy();
      resolve();
    }, closeGraceMs);
    client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    client.end();
    // end() writes the disconnect message and half-closes the socket, then
    // ssh2 waits for the bastion to close its side: a round trip that nothing
    // needs. Once our side is flushed, the kernel delivers the rest on its own.
    const socket = (client as unknown as { _sock?: Duplex })._sock;
    socket?.once('finish', () => socket.destroy());
  });
}
