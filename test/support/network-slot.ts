import { execFileSync } from 'node:child_process';
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from './run-command.ts';

/*
 * Test files run in parallel, one process each, and every one that builds a
 * network needs names and addresses no other uses. A slot is a number from 1
 * to 254, claimed by creating a file that holds the claiming process's pid: it
 * gives the namespace prefix `pgd<slot>-`, the veth prefix `pgd<slot>v` and the
 * subnet 10.213.<slot>.0/24. A slot whose process is gone was left by a crashed
 * run: its namespaces, links and processes are removed before it is reused.
 */

const slotDir = join(tmpdir(), 'pgdest-test-network-slots');
const lastSlot = 254;

/** A claimed slot: its number and the names and addresses derived from it. */
export interface NetworkSlot {
  number: number;
  /** Namespace names start with this: `pgd17-`. */
  namespacePrefix: string;
  /** veth names start with this: `pgd17v`. */
  linkPrefix: string;
  /** The first three octets of the slot's /24: `10.213.17`. */
  subnet: string;
}

/** Claims a free slot for this process, cleaning up one left by a dead process if need be. */
export async function claimNetworkSlot(): Promise<NetworkSlot> {
  await mkdir(slotDir, { recursive: true });
  const start = (process.pid % lastSlot) + 1;
  for (let offset = 0; offset < lastSlot; offset++) {
    const number = ((start + offset - 1) % lastSlot) + 1;
    if (await tryClaim(number)) return describeSlot(number);
  }
  throw new Error(`no free network slot in ${slotDir}; remove stale files there`);
}

/** Gives a slot back; its namespaces must be gone already. */
export async function releaseNetworkSlot(slot: NetworkSlot): Promise<void> {
  await unlink(slotFile(slot.number)).catch(() => {});
}

/**
 * Removes every namespace and host link of a slot, killing the processes still
 * running in its namespaces. Synchronous, so that it can run as the process
 * exits.
 */
export function removeSlotLeftovers(slot: NetworkSlot): void {
  const namespaces = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(slot.namespacePrefix));
  for (const name of namespaces) {
    let pids: string[] = [];
    try {
      pids = execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean);
    } catch {
      // The namespace went away meanwhile.
    }
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    runQuietly('ip', ['netns', 'delete', name]);
  }
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => /^\d+:\s+([^@:\s]+)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined && name.startsWith(slot.linkPrefix));
  // A host link usually vanishes with its peer's namespace, a moment later.
  for (const name of links) runQuietly('ip', ['link', 'delete', name]);
}

function runQuietly(command: string, args: string[]): void {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
  } catch {
    // Already gone.
  }
}

async function tryClaim(number: number): Promise<boolean> {
  const file = slotFile(number);
  try {
    await writeFile(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  if (owner > 0 && isAlive(owner)) return false;

  // Left by a dead process: clean up after it, then race for the file again.
  removeSlotLeftovers(describeSlot(number));
  await unlink(file).catch(() => {});
  try {
    await writeFile(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch {
    return false;
  }
}

function describeSlot(number: number): NetworkSlot {
  return {
    number,
    namespacePrefix: `pgd${number}-`,
    linkPrefix: `pgd${number}v`,
    subnet: `10.213.${number}`,
  };
}

function slotFile(number: number): string {
  return join(slotDir, `slot-${number}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Makes sure no packet for the test range leaves through the default route. */
export async function routeTestRangeNowhere(): Promise<void> {
  const shown = await runCommand('ip', ['route', 'show', 'type', 'unreachable', '10.213.0.0/16'], {
    allowFailure: true,
  });
  if (shown.stdout.includes('10.213.0.0/16')) return;
  const added = await runCommand('ip', ['route', 'add', 'unreachable', '10.213.0.0/16'], {
    allowFailure: true,
  });
  // Another test file may have added it in between.
  if (added.code !== 0 && !/File exists/.test(added.stderr)) {
    throw new Error(`cannot add the unreachable route: ${added.stderr}`);
  }
}
