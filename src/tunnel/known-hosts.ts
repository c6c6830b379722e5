import { createHmac, timingSafeEqual } from 'node:crypto';

/** One key line of an OpenSSH known_hosts file. */
export interface KnownHost {
  /** `@revoked` and `@cert-authority` lines carry a marker. */
  marker: 'revoked' | 'cert-authority' | undefined;
  /** The host field as written: a comma list of patterns, or one hashed `|1|salt|hash` entry. */
  hosts: string;
  /** The key type, such as `ssh-ed25519`. */
  type: string;
  /** The public key blob in base64. */
  base64: string;
  /** Where the line is in its file, counting from 1, for messages. */
  line: number;
}

/**
 * Parses the text of a known_hosts file. Comments, blank lines and lines that
 * are not keys (too few fields) are skipped, as OpenSSH skips them.
 */
export function parseKnownHosts(text: string): KnownHost[] {
  const entries: KnownHost[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) return;
    let marker: KnownHost['marker'];
    if (fields[0] === '@revoked') marker = 'revoked';
    else if (fields[0] === '@cert-authority') marker = 'cert-authority';
    else if (fields[0].startsWith('@')) return;
    const [hosts, type, base64] = marker === undefined ? fields : fields.slice(1);
    if (hosts === undefined || type === undefined || base64 === undefined) return;
    entries.push({ marker, hosts, type, base64, line: index + 1 });
  });
  return entries;
}

/**
 * The name OpenSSH looks a host up by: the bare host on port 22, `[host]:port`
 * on any other port.
 */
export function knownHostsName(host: string, port: number): string {
  const lower = host.toLowerCase();
  return port === 22 ? lower : `[${lower}]:${port}`;
}

/**
 * A known_hosts line for a key, in the plain (unhashed) form that ssh writes
 * with HashKnownHosts off.
 */
export function formatKnownHost(host: string, port: number, type: string, base64: string): string {
  return `${knownHostsName(host, port)} ${type} ${base64}`;
}

/** Whether a known_hosts entry's host field matches the host and port. */
export function matchesHost(entry: KnownHost, host: string, port: number): boolean {
  const name = knownHostsName(host, port);
  if (entry.hosts.startsWith('|1|')) return matchesHashedHost(entry.hosts, name);
  return matchesPatternList(entry.hosts, name);
}

// A hashed entry is `|1|` + base64 salt + `|` + base64 HMAC-SHA1 of the name
// keyed with the salt.
function matchesHashedHost(field: string, name: string): boolean {
  const [, , salt, hash] = field.split('|');
  if (salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

// OpenSSH semantics: any matching negated pattern (`!pattern`) rules the host
// out whatever else matches; otherwise one matching pattern is enough.
function matchesPatternList(list: string, name: string): boolean {
  let matched = false;
  for (const rawPattern of list.split(',')) {
    const negated = rawPattern.startsWith('!');
    const pattern = (negated ? rawPattern.slice(1) : rawPattern).toLowerCase();
    if (!matchesWildcard(pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/** `*` matches any run of characters and `?` one character, like OpenSSH's match_pattern. */
export function matchesWildcard(pattern: string, name: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(name);
}
