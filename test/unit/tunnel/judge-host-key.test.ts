import { describe, expect, it } from 'vitest';
import type { HostKeyCheck } from '../../../src/config/model.ts';
import { remainingHostKeyAlgorithms } from '../../../src/tunnel/check-host-key.ts';
import { algorithmsForKeyType, fingerprintOf, readHostKey } from '../../../src/tunnel/host-key.ts';
import {
  judgeHostKey,
  knownKeyTypes,
  type HostKeyPolicy,
} from '../../../src/tunnel/judge-host-key.ts';
import { parseKnownHosts } from '../../../src/tunnel/known-hosts.ts';

/** A wire blob for a key of a type: an SSH string of the type, then some bytes. */
function blob(type: string, seed: string): Buffer {
  const name = Buffer.from(type);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(name.length);
  return Buffer.concat([length, name, Buffer.from(seed.padEnd(32, '.'))]);
}

const presented = readHostKey(blob('ssh-ed25519', 'presented'));
const other = readHostKey(blob('ssh-ed25519', 'other'));
const rsa = readHostKey(blob('ssh-rsa', 'rsa'));

function policy(lines: string[], overrides: Partial<HostKeyPolicy> = {}): HostKeyPolicy {
  return {
    host: 'bastion.example.com',
    port: 22,
    pin: undefined,
    knownHosts: parseKnownHosts(lines.join('\n')),
    knownHostsFile: '/home/me/.ssh/known_hosts',
    check: 'strict',
    ...overrides,
  };
}

const line = (key: typeof presented, hosts = 'bastion.example.com') =>
  `${hosts} ${key.type} ${key.base64}`;

describe('judgeHostKey', () => {
  it('trusts a key matching the pin', () => {
    expect(judgeHostKey(presented, policy([], { pin: presented.fingerprint }))).toEqual({
      kind: 'trusted',
      by: 'pin',
    });
  });

  it('trusts a pin written with base64 padding', () => {
    expect(judgeHostKey(presented, policy([], { pin: `${presented.fingerprint}=` })).kind).toBe(
      'trusted',
    );
  });

  it('refuses a key that differs from the pin, even when known_hosts lists it', () => {
    const verdict = judgeHostKey(presented, policy([line(presented)], { pin: other.fingerprint }));

    expect(verdict).toEqual({
      kind: 'refused',
      problem: 'changed',
      expected: [{ type: 'ssh-ed25519', fingerprint: other.fingerprint, origin: 'host_key' }],
    });
  });

  it('trusts a key listed in known_hosts for the host', () => {
    expect(judgeHostKey(presented, policy([line(other, 'elsewhere'), line(presented)]))).toEqual({
      kind: 'trusted',
      by: 'known-hosts',
    });
  });

  it('calls a key changed when known_hosts has another key of its type, naming file and line', () => {
    const verdict = judgeHostKey(presented, policy(['# header', line(other)]));

    expect(verdict).toEqual({
      kind: 'refused',
      problem: 'changed',
      expected: [
        {
          type: 'ssh-ed25519',
          fingerprint: other.fingerprint,
          origin: '/home/me/.ssh/known_hosts:2',
        },
      ],
    });
  });

  it('calls a key unknown when known_hosts has only keys of other types for the host', () => {
    const verdict = judgeHostKey(presented, policy([line(rsa)]));

    expect(verdict).toMatchObject({ kind: 'refused', problem: 'unknown' });
  });

  it.each<[HostKeyCheck, string]>([
    ['strict', 'refused'],
    ['accept-new', 'learn'],
    ['off', 'unchecked'],
  ])('with %s treats an unknown key as %s', (check, kind) => {
    expect(judgeHostKey(presented, policy([], { check })).kind).toBe(kind);
  });

  it.each<[HostKeyCheck, string]>([
    ['strict', 'refused'],
    ['accept-new', 'refused'],
    ['off', 'unchecked'],
  ])('with %s treats a changed key as %s', (check, kind) => {
    expect(judgeHostKey(presented, policy([line(other)], { check })).kind).toBe(kind);
  });

  it.each<HostKeyCheck>(['strict', 'accept-new', 'off'])(
    'with %s refuses a revoked key, pinned or not',
    (check) => {
      const verdict = judgeHostKey(
        presented,
        policy([`@revoked * ${presented.type} ${presented.base64}`, line(presented)], {
          check,
          pin: presented.fingerprint,
        }),
      );

      expect(verdict).toEqual({ kind: 'refused', problem: 'revoked', expected: [] });
    },
  );

  it('ignores @cert-authority lines', () => {
    expect(
      judgeHostKey(
        presented,
        policy([`@cert-authority bastion.example.com ${presented.type} ${presented.base64}`]),
      ).kind,
    ).toBe('refused');
  });
});

describe('knownKeyTypes', () => {
  it('lists the key types known_hosts holds for the host and port', () => {
    const lines = [
      line(rsa),
      line(presented, 'elsewhere'),
      line(other, '[bastion.example.com]:2222'),
    ];

    expect(knownKeyTypes(policy(lines))).toEqual(['ssh-rsa']);
  });
});

describe('algorithmsForKeyType', () => {
  it('asks for SHA-2 first for RSA keys and for nothing ssh2 cannot verify', () => {
    expect(algorithmsForKeyType('ssh-rsa')).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(algorithmsForKeyType('ecdsa-sha2-nistp384')).toEqual(['ecdsa-sha2-nistp384']);
    expect(algorithmsForKeyType('sk-ssh-ed25519@openssh.com')).toEqual([]);
  });
});

describe('remainingHostKeyAlgorithms', () => {
  it('leaves out the algorithms of the keys seen, all three RSA ones for an RSA key', () => {
    expect(remainingHostKeyAlgorithms([presented])).toEqual([
      'ecdsa-sha2-nistp256',
      'ecdsa-sha2-nistp384',
      'ecdsa-sha2-nistp521',
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
    ]);
    expect(remainingHostKeyAlgorithms([presented, rsa])).toEqual([
      'ecdsa-sha2-nistp256',
      'ecdsa-sha2-nistp384',
      'ecdsa-sha2-nistp521',
    ]);
  });

  it('leaves out nothing for a key of a type ssh2 cannot verify', () => {
    const securityKey = readHostKey(blob('sk-ssh-ed25519@openssh.com', 'sk'));

    expect(remainingHostKeyAlgorithms([securityKey])).toHaveLength(7);
  });
});

describe('fingerprintOf', () => {
  it('is SHA256: and unpadded base64, as ssh-keygen prints it', () => {
    expect(fingerprintOf(Buffer.from('abc'))).toBe(
      'SHA256:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0',
    );
  });
});
