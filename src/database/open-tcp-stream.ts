import { connect, type Socket } from 'node:net';

// The kernel's keepalive probes find a dead peer of an idle session.
const keepaliveDelayMs = 15_000;

/**
 * Opens a TCP connection to a database reached without a bastion. Rejects with
 * the socket's error (its `code` says ECONNREFUSED, EHOSTUNREACH...); the
 * caller's timer bounds the wait by destroying the socket, which it may do
 * through `onSocket` before the connection is established.
 */
export function openTcpStream(
  host: string,
  port: number,
  onSocket: (socket: Socket) => void = () => {},
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    onSocket(socket);
    const onError = (error: Error): void => {
      socket.removeListener('connect', onConnect);
      reject(error);
    };
    const onConnect = (): void => {
      socket.removeListener('error', onError);
      socket.setNoDelay(true);
      socket.setKeepAlive(true, keepaliveDelayMs);
      resolve(socket);
    };
    socket.once('error', onError);
    socket.once('connect', onConnect);
    socket.once('close', () => reject(new Error('Connection terminated unexpectedly')));
  });
}
