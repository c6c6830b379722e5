import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bastion } from '../../src/config/model.ts';
import { TunnelError } from '../../src/tunnel/tunnel-error.ts';
import { TunnelPool } from '../../src/tunnel/tunnel-pool.ts';
import { createCapturingLogger } from '../support/capture-logger.ts';
import { bastionFor } from '../support/model-fixtures.ts';
import { findSecrets, renderErrorForUser } from '../support/secret-canary.ts';
import { runCommand } from '../support/run-command.ts';
import { startSshd, type SshdBastion } from '../support/sshd-bastion.ts';
import { startLab, type Lab } from '../support/start-lab.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { findFreeLoopbackPort } from '../support/test-network.ts';

/*
 * Each tunnel failure produced by the real condition: a closed port, an
 * address with no route, a bastion that never answers, sshd forbidding
 * forwarding, a database port that refuses, an address that drops packets.
 */

let lab: Lab;
let noForwarding: SshdBastion;
let onlyElsewhere: SshdBastion;
let stallsAuthentication: SshdBastion;
let proxy: TcpProxy;
const logger = createCapturingLogger();
const shownToUser: string[] = [];

beforeAll(async () => {
  lab = await startLab();
  const authorizedKeys = [lab.clientKey.publicKey];
  [noForwarding, onlyElsewhere, stallsAuthentication] = await Promise.all([
    startSshd({
      place: lab.bastionPlace,
      network: lab.network,
      port: 2200,
      authorizedKeys,
      allowTcpForwarding: false,
    }),
    startSshd({
      place: lab.bastionPlace,
      network: lab.network,
      port: 2201,
      authorizedKeys,
      permitOpen: ['192.0.2.1:5432'],
    }),
    // No key is in its authorized_keys file, so sshd asks the command, which
    // takes half a minute to answer: authentication stalls after the handshake.
    startSshd({
      place: lab.bastionPlace,
      network: lab.network,
      port: 2202,
      authorizedKeys: [],
      extraConfig: ['AuthorizedKeysCommand /bin/sleep 30', 'AuthorizedKeysCommandUser nobody'],
    }),
  ]);
  proxy = await startTcpProxy({
    target: { host: lab.sshd.hostFor(lab.network.host), port: lab.sshd.port },
  });
});

afterAll(async () => {
  await proxy?.close();
  await Promise.allSettled([
    noForwarding?.stop(),
    onlyElsewhere?.stop(),
    stallsAuthentication?.stop(),
  ]);
  await lab?.stop();
});

function endpoint(bastion: Bastion): string {
  return `root@${bastion.host}:${bastion.port}`;
}

/**
 * Opens a channel to the lab's database (or elsewhere) and returns the
 * TunnelError it fails with.
 */
async function channelFailure(
  bastion: Bastion,
  target?: { host: string; port: number },
  channelTimeoutMs?: number,
) {
  const pool = new TunnelPool(new Map([[bastion.name, bastion]]), {
    logger,
    ...(channelTimeoutMs ? { channelTimeoutMs } : {}),
  });
  const { host, port } = target ?? {
    host: lab.postgres.hostFor(lab.bastionPlace),
    port: lab.postgres.port,
  };
  const started = performance.now();
  const error = await pool.openChannel(bastion.name, host, port).then(
    (channel) => void channel.destroy(),
    (thrown: unknown) => thrown,
  );
  const elapsedMs = performance.now() - started;
  await pool.close();
  expect(error).toBeInstanceOf(TunnelError);
  shownToUser.push(renderErrorForUser(error));
  return { error: error as TunnelError, elapsedMs };
}

describe('reaching the bastion', () => {
  it('says the bastion refused the connection when nothing listens on its port', async () => {
    const port = lab.network.isolated ? 2999 : await findFreeLoopbackPort();
    const bastion = lab.bastion({ port });
    const { error } = await channelFailure(bastion);

    expect(error.reason).toBe('bastion-unreachable');
    expect(error.diagnostic.summary).toBe(
      `Bastion "main" (${endpoint(bastion)}) refused the connection`,
    );
    expect(error.diagnostic.hint).toContain('the default is 22');
  });

  it('says the bastion is unreachable when no route leads to its address', async (context) => {
    if (!lab.network.isolated) context.skip();
    const routed = lab.sshd.hostFor(lab.network.host);
    const bastion = lab.bastion({ host: `${routed.split('.').slice(0, 3).join('.')}.200` });
    const { error } = await channelFailure(bastion);

    expect(error.reason).toBe('bastion-unreachable');
    expect(error.diagnostic.summary).toBe(`Bastion "main" (${endpoint(bastion)}) is unreachable`);
    expect(error.diagnostic.detail).toContain('EHOSTUNREACH');
  });

  it('times out when the bastion accepts TCP but never answers the SSH handshake', async () => {
    proxy.setMode('blackhole');
    try {
      const bastion = lab.bastion({ host: proxy.host, port: proxy.port, connectTimeoutMs: 600 });
      const { error, elapsedMs } = await channelFailure(bastion);

      expect(error.reason).toBe('connect-timeout');
      expect(error.diagnostic.summary).toBe(
        `Timed out connecting to bastion "main" (${endpoint(bastion)})`,
      );
      expect(error.diagnostic.detail).toContain('the SSH handshake did not finish within 0.6 s');
      expect(elapsedMs).toBeLessThan(3_000);
    } finally {
      proxy.setMode('forward');
    }
  });

  it('times out when the TCP connection to the bastion gets no answer', async (context) => {
    if (!lab.network.isolated) context.skip();
    const silent = await lab.network.addSilentAddress(lab.network.host, lab.bastionPlace);
    const bastion = lab.bastion({ host: silent!, connectTimeoutMs: 600 });
    const { error } = await channelFailure(bastion);

    expect(error.reason).toBe('connect-timeout');
    expect(error.diagnostic.detail).toContain(
      `No TCP connection to ${silent}:22 was established within 0.6 s`,
    );
  });

  it('times out when the SSH handshake finishes but authentication never does', async () => {
    const bastion = {
      ...bastionFor(stallsAuthentication, lab.network.host, lab.clientKey),
      connectTimeoutMs: 1_000,
    };
    const { error, elapsedMs } = await channelFailure(bastion);

    expect(error.reason).toBe('connect-timeout');
    expect(error.diagnostic.summary).toBe(
      `Timed out connecting to bastion "main" (${endpoint(bastion)})`,
    );
    expect(error.diagnostic.detail).toContain(
      'finished, but authentication as root did not within 1 s',
    );
    expect(elapsedMs).toBeLessThan(5_000);
  });

  it('says the bastion reset the connection', async () => {
    proxy.setMode('reset');
    try {
      const bastion = lab.bastion({ host: proxy.host, port: proxy.port });
      const { error } = await channelFailure(bastion);

      expect(error.reason).toBe('bastion-unreachable');
      expect(error.diagnostic.summary).toBe(
        `Bastion "main" (${endpoint(bastion)}) reset the connection`,
      );
      expect(error.diagnostic.detail).toContain('ECONNRESET');
    } finally {
      proxy.setMode('forward');
    }
  });

  it('connects over a slow link, each hop timed', async () => {
    const slow = await startTcpProxy({
      target: { host: lab.sshd.hostFor(lab.network.host), port: lab.sshd.port },
      delayMs: 40,
    });
    try {
      const pool = new TunnelPool(
        new Map([['main', lab.bastion({ host: slow.host, port: slow.port })]]),
        { logger },
      );
      await pool.connect('main');
      const [hop] = pool.describeHops('main');
      await pool.close();

      // TCP, key exchange, service request and public key authentication take
      // at least four round trips of 80 ms.
      expect(hop!.connectedMs).toBeGreaterThanOrEqual(320);
    } finally {
      await slow.close();
    }
  });

  it('ends a connection whose keepalives go unanswered, and reconnects for the next channel', async () => {
    const keepaliveLogger = createCapturingLogger();
    const bastion = lab.bastion({ host: proxy.host, port: proxy.port, keepaliveIntervalMs: 150 });
    const pool = new TunnelPool(new Map([['main', bastion]]), { logger: keepaliveLogger });
    const target = [lab.postgres.hostFor(lab.bastionPlace), lab.postgres.port] as const;
    const connectionsBefore = proxy.connectionCount;
    (await pool.openChannel('main', ...target)).destroy();

    proxy.setMode('blackhole');
    await waitFor(() => keepaliveLogger.text().includes('Keepalive timeout'), 5_000);
    proxy.setMode('forward');
    await waitFor(() => keepaliveLogger.text().includes('closed'), 2_000);
    (await pool.openChannel('main', ...target)).destroy();
    await pool.close();

    expect(proxy.connectionCount - connectionsBefore).toBe(2);
  });
});

describe('opening a channel to the database', () => {
  it('says the bastion forbids forwarding when sshd has AllowTcpForwarding no', async () => {
    const bastion = bastionFor(noForwarding, lab.network.host, lab.clientKey);
    const { error } = await channelFailure(bastion);
    const target = `${lab.postgres.hostFor(lab.bastionPlace)}:${lab.postgres.port}`;

    expect(error.reason).toBe('forwarding-refused');
    expect(error.diagnostic.summary).toBe(
      `Bastion "main" (${endpoint(bastion)}) does not allow forwarding to ${target}`,
    );
    expect(error.diagnostic.detail).toContain('administratively prohibited');
    expect(error.diagnostic.detail).toContain('AllowTcpForwarding no');
    expect(error.diagnostic.hint).toContain('AllowTcpForwarding local or yes');
  });

  it('says the bastion forbids forwarding to an address its PermitOpen leaves out', async () => {
    const { error } = await channelFailure(
      bastionFor(onlyElsewhere, lab.network.host, lab.clientKey),
    );

    expect(error.reason).toBe('forwarding-refused');
    expect(error.diagnostic.detail).toContain('PermitOpen');
  });

  it('says the bastion cannot reach the database when its port is closed', async () => {
    const host = lab.postgres.hostFor(lab.bastionPlace);
    const port = lab.network.isolated ? 5999 : await findFreeLoopbackPort();
    const { error } = await channelFailure(lab.bastion(), { host, port });

    expect(error.reason).toBe('database-unreachable');
    expect(error.diagnostic.summary).toBe(
      `Bastion "main" (${endpoint(lab.bastion())}) cannot reach ${host}:${port}`,
    );
    expect(error.diagnostic.detail).toContain('Connection refused');
    expect(error.diagnostic.hint).toContain(`nc -vz ${host} ${port}`);
  });

  it('times out opening a channel to an address that drops packets, and keeps the connection usable', async (context) => {
    if (!lab.network.isolated) context.skip();
    const silent = await lab.network.addSilentAddress(lab.bastionPlace, lab.databasePlace);
    const pool = new TunnelPool(new Map([['main', lab.bastion()]]), {
      logger,
      channelTimeoutMs: 700,
    });
    const connectionsBefore = await lab.sshd.countConnections();

    const started = performance.now();
    const error = await pool.openChannel('main', silent!, 5432).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    const elapsedMs = performance.now() - started;
    const channel = await pool.openChannel(
      'main',
      lab.postgres.hostFor(lab.bastionPlace),
      lab.postgres.port,
    );
    channel.destroy();
    await pool.close();
    shownToUser.push(renderErrorForUser(error));

    expect((error as TunnelError).reason).toBe('channel-timeout');
    expect((error as TunnelError).diagnostic.summary).toBe(
      `Timed out opening a channel to ${silent}:5432 through bastion "main" (${endpoint(lab.bastion())})`,
    );
    expect((error as TunnelError).diagnostic.detail).toContain('within 0.7 s');
    expect(elapsedMs).toBeLessThan(3_000);
    expect(await lab.sshd.countConnections()).toBe(connectionsBefore + 1);
  });

  it('closes a channel that opens after its open timed out', async (context) => {
    if (!lab.network.isolated) context.skip();
    const silent = (await lab.network.addSilentAddress(lab.bastionPlace, lab.databasePlace))!;
    const pool = new TunnelPool(new Map([['main', lab.bastion()]]), {
      logger,
      channelTimeoutMs: 300,
    });
    const received = async () =>
      ((await readFile(lab.postgres.logPath, 'utf8')).match(/connection received: host=/g) ?? [])
        .length;
    const before = await received();
    const idleProcesses = await countProcesses(lab.databasePlace.namespace!);

    const error = await pool.openChannel('main', silent, lab.postgres.port).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect((error as TunnelError).reason).toBe('channel-timeout');

    // The firewall opens: the bastion's next SYN reaches PostgreSQL, sshd
    // confirms the channel, and the pool must close it at once. PostgreSQL
    // would otherwise keep a backend waiting for a startup packet for 60 s.
    await lab.network.answerAt(lab.databasePlace, silent);
    await waitForAsync(async () => (await received()) > before, 8_000);
    await waitForAsync(
      async () => (await countProcesses(lab.databasePlace.namespace!)) === idleProcesses,
      3_000,
    );
    await pool.close();
  });
});

describe('secrets', () => {
  it('never shows the private key in an error or a log line', () => {
    // Three of the failures need namespaces and are skipped on loopback.
    expect(shownToUser.length).toBeGreaterThanOrEqual(lab.network.isolated ? 9 : 6);
    expect(
      findSecrets([...shownToUser, logger.text()].join('\n'), [lab.clientKey.privateKey]),
    ).toEqual([]);
  });
});

function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  return waitForAsync(async () => condition(), timeoutMs);
}

async function waitForAsync(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * The processes running in a namespace: a PostgreSQL backend waiting for a
 * startup packet is one of them.
 */
async function countProcesses(namespace: string): Promise<number> {
  return (await runCommand('ip', ['netns', 'pids', namespace])).stdout.split('\n').filter(Boolean)
    .length;
}
