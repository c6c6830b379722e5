import { createServer, type AddressInfo, type Server } from 'node:net';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoBastion, type DemoBastion } from '../../../src/demo/start-demo-bastion.ts';

let guarded: Server;
let other: Server;
let bastion: DemoBastion;

/** A TCP server that answers every connection with `name` and closes. */
async function startGreeter(name: string): Promise<Server> {
  const server = createServer((socket) => socket.end(name));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const portOf = (server: Server) => (server.address() as AddressInfo).port;

beforeAll(async () => {
  guarded = await startGreeter('guarded');
  other = await startGreeter('other');
  bastion = await startDemoBastion({ host: '127.0.0.1', port: portOf(guarded) });
});
afterAll(async () => {
  await bastion?.stop();
  guarded?.close();
  other?.close();
});

/** Logs in to the demo bastion with `privateKey`, or rejects with the reason. */
function connect(privateKey: string, username = bastion.user): Promise<ssh2.Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.once('ready', () => resolve(client));
    client.once('error', reject);
    client.connect({ host: '127.0.0.1', port: bastion.port, username, privateKey });
  });
}

/** What the far end sends through a channel to `port`, or the refusal. */
function readThrough(client: ssh2.Client, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, '127.0.0.1', port, (error, channel) => {
      if (error) return reject(error);
      let text = '';
      channel.on('data', (chunk: Buffer) => (text += chunk.toString()));
      channel.on('close', () => resolve(text));
    });
  });
}

describe('the demo bastion', () => {
  it('forwards to the database it guards for its one client key', async () => {
    const client = await connect(bastion.clientKey);
    try {
      expect(await readThrough(client, portOf(guarded))).toBe('guarded');
    } finally {
      client.end();
    }
  });

  it('refuses to forward anywhere else', async () => {
    const client = await connect(bastion.clientKey);
    try {
      await expect(readThrough(client, portOf(other))).rejects.toThrow(/Channel open failure/);
    } finally {
      client.end();
    }
  });

  it('refuses any other key, and its key for any other user', async () => {
    const stranger = ssh2.utils.generateKeyPairSync('ed25519').private;
    await expect(connect(stranger)).rejects.toThrow(/authentication methods failed/);
    await expect(connect(bastion.clientKey, 'root')).rejects.toThrow(
      /authentication methods failed/,
    );
  });
});
