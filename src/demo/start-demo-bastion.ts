import { createHash } from 'node:crypto';
import { connect, type AddressInfo } from 'node:net';
import ssh2 from 'ssh2';

/** A throwaway SSH bastion inside this process. */
export interface DemoBastion {
  port: number;
  user: string;
  /** The client's private key, OpenSSH format, for the config's private_key_file. */
  clientKey: string;
  /** `SHA256:...`, as `ssh-keygen -lf` prints the host key's fingerprint. */
  hostKeyFingerprint: string;
  stop(): Promise<void>;
}

/**
 * Starts an SSH server on 127.0.0.1 with a host key of its own. It accepts
 * one generated client key for user `demo`, opens no shell, and forwards only
 * to the one database it guards, as a locked-down bastion would.
 */
export async function startDemoBastion(target: {
  host: string;
  port: number;
}): Promise<DemoBastion> {
  const hostKey = ssh2.utils.generateKeyPairSync('ed25519');
  const clientKey = ssh2.utils.generateKeyPairSync('ed25519');
  const allowed = ssh2.utils.parseKey(clientKey.public);
  if (allowed instanceof Error) throw allowed;
  const user = 'demo';

  const clients = new Set<ssh2.Connection>();
  const server = new ssh2.Server({ hostKeys: [hostKey.private] }, (client) => {
    clients.add(client);
    client.on('close', () => clients.delete(client));
    client.on('error', () => {});
    client.on('authentication', (context) => {
      const matches =
        context.method === 'publickey' &&
        context.username === user &&
        context.key.data.equals(allowed.getPublicSSH());
      if (!matches) return context.reject(['publickey']);
      if (!context.signature) return context.accept();
      return allowed.verify(context.blob!, context.signature, context.hashAlgo)
        ? context.accept()
        : context.reject(['publickey']);
    });
    client.on('ready', () => {
      client.on('session', (_accept, reject) => reject());
      client.on('tcpip', (accept, reject, info) => {
        if (info.destIP !== target.host || info.destPort !== target.port) return reject();
        const socket = connect(target.port, target.host);
        socket.once('error', () => reject());
        socket.once('connect', () => {
          const channel = accept();
          channel.on('error', () => socket.destroy());
          socket.removeAllListeners('error');
          socket.on('error', () => channel.destroy());
          channel.pipe(socket).pipe(channel);
        });
      });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const publicHostKey = ssh2.utils.parseKey(hostKey.public);
  if (publicHostKey instanceof Error) throw publicHostKey;
  const fingerprint = createHash('sha256')
    .update(publicHostKey.getPublicSSH())
    .digest('base64')
    .replace(/=+$/, '');
  return {
    port: (server.address() as AddressInfo).port,
    user,
    clientKey: clientKey.private,
    hostKeyFingerprint: `SHA256:${fingerprint}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const client of clients) client.end();
      }),
  };
}
