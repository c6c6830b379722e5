import { describe, expect, it } from 'vitest';
import type { Bastion } from '../../../src/config/model.ts';
import {
  describeConnectFailure,
  describeConnectTimeout,
} from '../../../src/tunnel/describe-connect-failure.ts';
import { secretOf, testSource } from '../../support/model-fixtures.ts';

/*
 * The failures the integration tests cannot produce without leaving this
 * machine (a name that does not resolve needs a DNS server), from the error
 * objects Node and ssh2 report them with.
 */

const bastion: Bastion = {
  name: 'main',
  host: 'bastion.example.com',
  port: 22,
  user: 'tunnel',
  auth: { kind: 'key', privateKey: secretOf('not a key') },
  hostKeyCheck: 'strict',
  connectTimeoutMs: 20_000,
  keepaliveIntervalMs: 15_000,
  source: testSource('bastions.main'),
};

const auth = { description: 'the ED25519 key from env:BASTION_PEM' };

function socketError(code: string, level = 'client-socket'): Error {
  return Object.assign(new Error(`getaddrinfo ${code} bastion.example.com`), { code, level });
}

describe('describeConnectFailure', () => {
  it('says the bastion name does not resolve, and how to check', () => {
    const error = describeConnectFailure(bastion, socketError('ENOTFOUND'), auth);

    expect(error.reason).toBe('bastion-unreachable');
    expect(error.diagnostic.summary).toBe(
      'Cannot resolve the address of bastion "main" (tunnel@bastion.example.com:22)',
    );
    expect(error.diagnostic.hint).toContain('getent hosts bastion.example.com');
    expect(error.hop).toBe('tunnel@bastion.example.com:22');
  });

  it('names the outer bastion of a chain in the detail', () => {
    const error = describeConnectFailure(
      { ...bastion, name: 'inner', via: 'outer' },
      socketError('ECONNRESET'),
      auth,
    );

    expect(error.diagnostic.detail).toContain(
      'bastion "inner" (tunnel@bastion.example.com:22, reached through bastion "outer")',
    );
  });

  it('describes a server that closed the connection before its greeting', () => {
    const error = describeConnectFailure(
      bastion,
      Object.assign(new Error('Connection lost before handshake'), { level: 'protocol' }),
      auth,
    );

    expect(error.diagnostic.summary).toBe(
      'Bastion "main" (tunnel@bastion.example.com:22) closed the connection before the SSH handshake',
    );
    expect(error.diagnostic.detail).toContain('MaxStartups');
  });
});

describe('describeConnectTimeout', () => {
  it.each([
    ['tcp', 'No TCP connection to bastion.example.com:22 was established within 20 s'],
    ['handshake', 'the SSH handshake did not finish within 20 s'],
    ['authentication', 'authentication as tunnel did not within 20 s'],
  ] as const)('says how far a connection got: %s', (stage, detail) => {
    expect(describeConnectTimeout(bastion, stage).diagnostic.detail).toContain(detail);
  });

  it('says which bastion could not open the connection to a bastion reached through it', () => {
    const inner = { ...bastion, name: 'inner', host: '10.0.2.7', via: 'outer' };
    const error = describeConnectTimeout(inner, 'tcp');

    expect(error.diagnostic.summary).toBe(
      'Timed out connecting to bastion "inner" (tunnel@10.0.2.7:22)',
    );
    expect(error.diagnostic.detail).toContain(
      'Bastion "outer" did not open a connection to 10.0.2.7:22 within 20 s',
    );
    expect(error.diagnostic.hint).toContain('from there: nc -vz 10.0.2.7 22');
  });
});
