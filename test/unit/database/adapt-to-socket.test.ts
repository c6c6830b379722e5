import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { adaptToSocket } from '../../../src/database/adapt-to-socket.ts';

describe('adaptToSocket', () => {
  it('announces connect on the next tick and resumes a paused stream, delivering what was buffered', async () => {
    const stream = new PassThrough();
    stream.pause();
    stream.write('hello');
    const socket = adaptToSocket(stream);
    const received: string[] = [];

    socket.setNoDelay(true).connect(5432, 'db');
    socket.on('data', (chunk: Buffer) => received.push(chunk.toString()));
    await new Promise((resolve) => socket.once('connect', resolve));
    await new Promise((resolve) => setImmediate(resolve));

    expect(received).toEqual(['hello']);
    expect(socket.setKeepAlive(true, 1000)).toBe(socket);
    expect(socket.ref()).toBe(socket);
  });
});
