import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseKnownHosts, type KnownHost } from './known-hosts.ts';

/** The known_hosts file OpenSSH uses by default, under the given home folder. */
export function defaultKnownHostsFile(homeDir: string): string {
  return join(homeDir, '.ssh', 'known_hosts');
}

/** Reads and parses a known_hosts file; a missing file reads as empty, as it does for ssh. */
export async function readKnownHostsFile(path: string): Promise<KnownHost[]> {
  try {
    return parseKnownHosts(await readFile(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * Appends one line to a known_hosts file, creating the file with mode 0600 and
 * its folder with mode 0700 when missing, as ssh does; ssh refuses to trust a
 * known_hosts file that others can write.
 */
export async function appendKnownHost(path: string, line: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const existing = await readFile(path, 'utf8').catch(() => '');
  const separator = existing.length > 0 && !existing.endsWith('\n') ? '\n' : '';
  await appendFile(path, `${separator}${line}\n`, { mode: 0o600 });
}
