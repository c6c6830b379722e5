import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  formatKnownHost,
  knownHostsName,
  matchesHost,
  matchesWildcard,
  parseKnownHosts,
} from '../../../src/tunnel/known-hosts.ts';

const key = 'AAAAC3NzaC1lZDI1NTE5AAAAIOTkI1l4tE8P4s1i1b6cK3zL2n8g5Jmq2v1xq0pQ9a1b';

function hashed(name: string, salt = Buffer.from('0123456789abcdefghij')): string {
  const hash = createHmac('sha1', salt).update(name).digest('base64');
  return `|1|${salt.toString('base64')}|${hash}`;
}

function entry(hosts: string) {
  return parseKnownHosts(`${hosts} ssh-ed25519 ${key}`)[0]!;
}

describe('parseKnownHosts', () => {
  it('reads key lines with their line numbers and skips comments and blank lines', () => {
    const entries = parseKnownHosts(
      `# a comment\n\nbastion.example.com ssh-ed25519 ${key} admin@laptop\n`,
    );

    expect(entries).toEqual([
      {
        marker: undefined,
        hosts: 'bastion.example.com',
        type: 'ssh-ed25519',
        base64: key,
        line: 3,
      },
    ]);
  });

  it('reads @revoked and @cert-authority markers', () => {
    const entries = parseKnownHosts(
      `@revoked * ssh-ed25519 ${key}\n@cert-authority *.example.com ssh-ed25519 ${key}`,
    );

    expect(entries.map((e) => [e.marker, e.hosts])).toEqual([
      ['revoked', '*'],
      ['cert-authority', '*.example.com'],
    ]);
  });

  it('skips lines with too few fields and unknown markers', () => {
    expect(
      parseKnownHosts(`bastion.example.com ssh-ed25519\n@unknown host ssh-ed25519 ${key}`),
    ).toEqual([]);
  });
});

describe('matchesHost', () => {
  it.each([
    ['a plain name on port 22', 'bastion.example.com', 'bastion.example.com', 22, true],
    ['a plain name in another case', 'Bastion.Example.com', 'bastion.example.COM', 22, true],
    ['a plain name on another port', 'bastion.example.com', 'bastion.example.com', 2222, false],
    [
      'a [host]:port entry on its port',
      '[bastion.example.com]:2222',
      'bastion.example.com',
      2222,
      true,
    ],
    [
      'a [host]:port entry on port 22',
      '[bastion.example.com]:2222',
      'bastion.example.com',
      22,
      false,
    ],
    ['one name of a comma list', 'other.example.com,10.0.0.5', '10.0.0.5', 22, true],
    ['a wildcard pattern', '*.example.com', 'bastion.example.com', 22, true],
    ['a single-character wildcard', '10.0.0.?', '10.0.0.5', 22, true],
    [
      'a negated pattern that matches',
      '*.example.com,!bastion.example.com',
      'bastion.example.com',
      22,
      false,
    ],
    [
      'a negated pattern that does not match',
      '*.example.com,!other.example.com',
      'bastion.example.com',
      22,
      true,
    ],
  ])('matches %s: %s for %s:%i is %s', (_, hosts, host, port, expected) => {
    expect(matchesHost(entry(hosts), host, port)).toBe(expected);
  });

  it('matches a hashed entry of the host name', () => {
    expect(matchesHost(entry(hashed('bastion.example.com')), 'bastion.example.com', 22)).toBe(true);
    expect(matchesHost(entry(hashed('bastion.example.com')), 'other.example.com', 22)).toBe(false);
  });

  it('matches a hashed entry of [host]:port for another port', () => {
    expect(matchesHost(entry(hashed('[10.0.0.5]:2222')), '10.0.0.5', 2222)).toBe(true);
  });

  it('does not match a malformed hashed entry', () => {
    expect(matchesHost(entry('|1|onlysalt'), 'bastion.example.com', 22)).toBe(false);
  });
});

describe('matchesWildcard', () => {
  it('treats regular expression characters literally', () => {
    expect(matchesWildcard('10.0.0.5', '10x0x0x5')).toBe(false);
    expect(matchesWildcard('[host]:2222', '[host]:2222')).toBe(true);
  });
});

describe('formatKnownHost', () => {
  it('writes the bare host on port 22 and [host]:port elsewhere, as ssh does', () => {
    expect(formatKnownHost('Bastion.example.com', 22, 'ssh-ed25519', key)).toBe(
      `bastion.example.com ssh-ed25519 ${key}`,
    );
    expect(formatKnownHost('10.0.0.5', 2222, 'ssh-ed25519', key)).toBe(
      `[10.0.0.5]:2222 ssh-ed25519 ${key}`,
    );
    expect(knownHostsName('10.0.0.5', 2222)).toBe('[10.0.0.5]:2222');
  });
});
