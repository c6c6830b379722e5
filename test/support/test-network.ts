import { createServer } from 'node:net';
import { onProcessExit } from './exit-cleanup.ts';
import {
  claimNetworkSlot,
  releaseNetworkSlot,
  removeSlotLeftovers,
  routeTestRangeNowhere,
  type NetworkSlot,
} from './network-slot.ts';
import { hasCommand, runCommand } from './run-command.ts';

/**
 * A place servers run in: a network namespace of its own, or, without
 * namespaces, the host itself.
 */
export interface Place {
  /** The role it was created for, such as `bastion` or `database`. */
  readonly role: string;
  /** The namespace's name; undefined for the host. */
  readonly namespace: string | undefined;
  /** The address servers here should listen on: `*` in a namespace, `127.0.0.1` on the host. */
  readonly listenAddress: string;
  /** The command and arguments that run `command` inside this place. */
  wrap(command: string, args: readonly string[]): [string, string[]];
  /**
   * A port free in this place: `preferred` (or the next free one) in a
   * namespace, a random free one on the host.
   */
  allocatePort(preferred: number): Promise<number>;
}

/**
 * The network a test file builds: places joined by links. With root and `ip`,
 * each place is a network namespace and only linked places reach each other,
 * so a database placed behind a bastion is reachable through the tunnel and
 * nothing else; a passing test proves the tunnel carried the session. Without
 * them (not root, no `ip`), every place is the host and every address is
 * 127.0.0.1 with random ports: the tests still run, but prove less.
 */
export interface TestNetwork {
  /** Whether places are real namespaces. */
  readonly isolated: boolean;
  /** The host, where the test process itself runs. */
  readonly host: Place;
  /** Adds a place for a role; `role` is short, lower-case letters and digits. */
  addPlace(role: string): Promise<Place>;
  /** Joins two places with a point-to-point link of their own /30. */
  link(a: Place, b: Place): Promise<void>;
  /**
   * The address of `place` as `seenFrom` reaches it: they must be linked, or
   * the same place (127.0.0.1).
   */
  addressOf(place: Place, seenFrom: Place): string;
  /** Every address `place` has, for certificates. */
  addressesOf(place: Place): string[];
  /**
   * An address that `seenFrom` routes to `via`, where packets for it are
   * silently dropped: a connection to it hangs like one to a firewalled host.
   * Undefined without namespaces.
   */
  addSilentAddress(seenFrom: Place, via: Place): Promise<string | undefined>;
  /**
   * Gives `place` an address made by addSilentAddress, so that packets for it,
   * dropped until now, reach the servers there: a firewall opening late.
   */
  answerAt(place: Place, address: string): Promise<void>;
  /** Removes every namespace and link, killing what still runs in them. */
  destroy(): Promise<void>;
}

/**
 * Builds an empty test network. Isolation is used whenever possible; pass
 * `{ isolated: false }`, or set PGDEST_TEST_NETWORK=loopback, to force
 * loopback (to check that the tests still pass where namespaces are not
 * available).
 */
export async function createTestNetwork(
  options: { isolated?: boolean } = {},
): Promise<TestNetwork> {
  const canIsolate = process.getuid?.() === 0 && (await hasCommand('ip'));
  const wanted = options.isolated ?? process.env.PGDEST_TEST_NETWORK !== 'loopback';
  if (!wanted || !canIsolate) return createLoopbackNetwork();
  await routeTestRangeNowhere();
  return createNamespaceNetwork(await claimNetworkSlot());
}

interface Link {
  a: Place;
  b: Place;
  addressA: string;
  addressB: string;
}

// Links use the /30s from .0 to .239 of the slot's /24; silent addresses
// count down from .254.
const maxLinks = 60;

function createNamespaceNetwork(slot: NetworkSlot): TestNetwork {
  const host = createPlace('host', undefined);
  const places: Place[] = [];
  const links: Link[] = [];
  let silentCount = 0;
  const unregister = onProcessExit(() => removeSlotLeftovers(slot));

  const findLink = (x: Place, y: Place): Link | undefined =>
    links.find((link) => (link.a === x && link.b === y) || (link.a === y && link.b === x));

  return {
    isolated: true,
    host,
    async addPlace(role) {
      const place = createPlace(role, `${slot.namespacePrefix}${role}`);
      await runCommand('ip', ['netns', 'add', place.namespace!]);
      places.push(place);
      await runCommand('ip', ['-n', place.namespace!, 'link', 'set', 'lo', 'up']);
      // Forwarding stays off, so that no namespace routes between two others
      // and silent addresses drop packets instead of forwarding them.
      await runCommand(...place.wrap('sh', ['-c', 'echo 0 > /proc/sys/net/ipv4/ip_forward']));
      return place;
    },
    async link(a, b) {
      const index = links.length;
      if (index >= maxLinks) throw new Error('too many links in one test network');
      const [nameA, nameB] = [`${slot.linkPrefix}${index}a`, `${slot.linkPrefix}${index}b`];
      const [addressA, addressB] = [
        `${slot.subnet}.${index * 4 + 1}`,
        `${slot.subnet}.${index * 4 + 2}`,
      ];
      const inA = a.namespace === undefined ? [] : ['netns', a.namespace];
      const inB = b.namespace === undefined ? [] : ['netns', b.namespace];
      const ends = [nameA, ...inA, 'type', 'veth', 'peer', 'name', nameB, ...inB];
      await runCommand('ip', ['link', 'add', ...ends]);
      for (const [place, name, address] of [
        [a, nameA, addressA],
        [b, nameB, addressB],
      ] as const) {
        const scope = place.namespace === undefined ? [] : ['-n', place.namespace];
        await runCommand('ip', [...scope, 'addr', 'add', `${address}/30`, 'dev', name]);
        await runCommand('ip', [...scope, 'link', 'set', name, 'up']);
      }
      links.push({ a, b, addressA, addressB });
    },
    addressOf(place, seenFrom) {
      // Within one place, servers are reached on its loopback.
      if (place === seenFrom) return '127.0.0.1';
      const link = findLink(place, seenFrom);
      if (link === undefined) throw new Error(`${place.role} is not linked to ${seenFrom.role}`);
      return link.a === place ? link.addressA : link.addressB;
    },
    addressesOf(place) {
      return links.flatMap((link) => [
        ...(link.a === place ? [link.addressA] : []),
        ...(link.b === place ? [link.addressB] : []),
      ]);
    },
    async addSilentAddress(seenFrom, via) {
      const gateway = this.addressOf(via, seenFrom);
      const address = `${slot.subnet}.${254 - silentCount++}`;
      const scope = seenFrom.namespace === undefined ? [] : ['-n', seenFrom.namespace];
      await runCommand('ip', [...scope, 'route', 'add', `${address}/32`, 'via', gateway]);
      return address;
    },
    async answerAt(place, address) {
      const scope = place.namespace === undefined ? [] : ['-n', place.namespace];
      await runCommand('ip', [...scope, 'addr', 'add', `${address}/32`, 'dev', 'lo']);
    },
    async destroy() {
      removeSlotLeftovers(slot);
      unregister();
      await releaseNetworkSlot(slot);
    },
  };
}

// Without namespaces every place is the host.
function createLoopbackNetwork(): TestNetwork {
  const host = createPlace('host', undefined);
  return {
    isolated: false,
    host,
    addPlace: async (role) => createPlace(role, undefined),
    link: async () => {},
    addressOf: () => '127.0.0.1',
    addressesOf: () => ['127.0.0.1'],
    addSilentAddress: async () => undefined,
    answerAt: async () => {},
    destroy: async () => {},
  };
}

function createPlace(role: string, namespace: string | undefined): Place {
  const usedPorts = new Set<number>();
  return {
    role,
    namespace,
    listenAddress: namespace === undefined ? '127.0.0.1' : '*',
    wrap(command, args) {
      return namespace === undefined
        ? [command, [...args]]
        : ['ip', ['netns', 'exec', namespace, command, ...args]];
    },
    async allocatePort(preferred) {
      if (namespace === undefined) return findFreeLoopbackPort();
      let port = preferred;
      while (usedPorts.has(port)) port++;
      usedPorts.add(port);
      return port;
    },
  };
}

/** A TCP port free on 127.0.0.1 at the time of asking. */
export function findFreeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}
