import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { hostname } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseEndpoint } from '../../src/config/model.ts';
import { TunnelPool } from '../../src/tunnel/tunnel-pool.ts';
import { createCapturingLogger } from '../support/capture-logger.ts';
import { secretOf } from '../support/model-fixtures.ts';
import { findSecrets } from '../support/secret-canary.ts';
import { startLab, type Lab } from '../support/start-lab.ts';
import { liveHolder } from '../unit/state/sample-state.ts';
import { runStateStoreContract } from '../unit/state/state-store-contract.ts';
import { createPostgresFixture, PostgresStores } from '../unit/state/support/postgres-stores.ts';
import type { WorkerTask } from '../unit/state/support/postgres-state-worker.ts';

/*
 * The PostgreSQL state where teams keep it: behind an SSH bastion, in a lab
 * where the database is reachable from the bastion only, so every passing
 * test proves the tunnel carried the session. The contract runs here too;
 * then separate pgdest processes (the worker script, started with node
 * --import tsx) race for the lock and the state, and one is killed with
 * SIGKILL while it holds the lock.
 */

const keeperPassword = 'canary-state-password-c41d07';
const database = 'ops';
const worker = fileURLToPath(
  new URL('../unit/state/support/postgres-state-worker.ts', import.meta.url),
);
const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

let lab: Lab;
let tunnels: TunnelPool;
let keeper: DatabaseEndpoint;
const logger = createCapturingLogger();
const route = {
  get endpoint() {
    return keeper;
  },
  get bastion() {
    return { name: 'main', tunnels };
  },
};
const stores = new PostgresStores(route);
const workers: Worker[] = [];

beforeAll(async () => {
  lab = await startLab();
  await lab.postgres.createRole('keeper', { password: keeperPassword });
  await lab.postgres.createDatabase(database, { owner: 'keeper' });
  keeper = lab.endpoint({
    name: database,
    user: 'keeper',
    password: secretOf(keeperPassword, 'env:STATE_PASSWORD'),
  });
  tunnels = new TunnelPool(new Map([['main', lab.bastion()]]), { logger });
});

afterAll(async () => {
  await stores.closeAll();
  await tunnels?.close();
  await lab?.stop();
});

afterEach(async () => {
  for (const running of workers.splice(0)) running.child.kill('SIGKILL');
  await stores.closeAll();
});

runStateStoreContract(
  'postgres, through a bastion,',
  createPostgresFixture(route, { freshKey: true }),
);

let schemaCount = 0;
const freshSchema = () => `w${(schemaCount += 1)}`;

describe('separate pgdest processes on a state behind a bastion', () => {
  it('refuses the second while the first holds the lock, naming the first', async () => {
    const schema = freshSchema();
    const holder = startWorker({ task: 'hold', name: 'holder', schema });
    await holder.next('locked');

    const second = startWorker({ task: 'try', name: 'second', schema });
    const outcome = await second.next('refused');

    expect(outcome.diagnostic.summary).toBe('State is locked');
    expect(outcome.diagnostic.detail).toContain(
      `process ${holder.child.pid} on ${hostname()} (pgdest apply (holder))`,
    );
    expect(outcome.diagnostic.hint).toContain('pgdest state unlock');
  });

  it('gives the lock to the next run once the holder is killed with SIGKILL, without an unlock', async () => {
    const schema = freshSchema();
    const holder = startWorker({ task: 'hold', name: 'doomed', schema });
    await holder.next('locked');

    holder.child.kill('SIGKILL');
    await holder.exited;
    const startedAt = Date.now();
    const store = stores.open({ schema });
    await store.lock(liveHolder('pgdest plan'), 10_000);

    // The server saw the tunnel close and ended the killed run's session.
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    const next = startWorker({ task: 'try', name: 'after', schema });
    const outcome = await next.next('refused');
    expect(outcome.diagnostic.detail).toContain('(pgdest plan)');
    expect(outcome.diagnostic.detail).not.toContain('doomed');
  });

  it('loses no write when two processes lock and write the same state at once, and one waits for the other', async () => {
    const schema = freshSchema();
    const rounds = 12;
    const pair = [
      startWorker({ task: 'increment', name: 'left', rounds, schema, startTogether: true }),
      startWorker({ task: 'increment', name: 'right', rounds, schema, startTogether: true }),
    ];
    await Promise.all(pair.map((running) => running.next('ready')));

    for (const running of pair) running.child.stdin!.write('go\n');
    const results = await Promise.all(pair.map((running) => running.next('done')));

    const state = await stores.open({ schema }).read();
    expect(state?.serial).toBe(2 * rounds);
    expect(Object.keys(state!.destinations).sort()).toStrictEqual(
      expectedNames(['left', 'right'], rounds),
    );
    expect(results.reduce((sum, result) => sum + (result.waits as number), 0)).toBeGreaterThan(0);
  });

  it('loses no write when two processes write the same state at once without the lock', async () => {
    const schema = freshSchema();
    const rounds = 12;
    const pair = [
      startWorker({ task: 'race', name: 'left', rounds, schema, startTogether: true }),
      startWorker({ task: 'race', name: 'right', rounds, schema, startTogether: true }),
    ];
    await Promise.all(pair.map((running) => running.next('ready')));

    for (const running of pair) running.child.stdin!.write('go\n');
    await Promise.all(pair.map((running) => running.next('done')));

    const state = await stores.open({ schema }).read();
    expect(state?.serial).toBe(2 * rounds);
    expect(Object.keys(state!.destinations).sort()).toStrictEqual(
      expectedNames(['left', 'right'], rounds),
    );
  });

  it('shows neither the state password nor the bastion key in any output or log line', () => {
    const everything = [...workersSeen.map((seen) => seen.output()), logger.text()].join('\n');
    expect(workersSeen.length).toBeGreaterThan(0);
    expect(findSecrets(everything, [keeperPassword, lab.clientKey.privateKey])).toStrictEqual([]);
  });
});

function expectedNames(names: string[], rounds: number): string[] {
  return names
    .flatMap((name) => Array.from({ length: rounds }, (_, round) => `${name}_${round}`))
    .sort();
}

interface WorkerEvent {
  event: string;
  [field: string]: any;
}

interface Worker {
  child: ChildProcess;
  exited: Promise<unknown>;
  /** The next event of that name, or a failure with what the worker printed. */
  next(event: string): Promise<WorkerEvent>;
  output(): string;
}

const workersSeen: Worker[] = [];

function startWorker(
  task: Pick<WorkerTask, 'task' | 'name' | 'rounds' | 'schema' | 'startTogether'>,
): Worker {
  const sshd = lab.sshd;
  const full: WorkerTask = {
    ...task,
    key: 'default',
    database: {
      host: keeper.host,
      port: keeper.port,
      name: keeper.name,
      user: keeper.user,
      ssl: keeper.ssl,
    },
    bastion: {
      host: sshd.hostFor(lab.network.host),
      port: sshd.port,
      user: sshd.user,
      hostKey: sshd.hostKey().fingerprint,
    },
  };
  const child = spawn(process.execPath, ['--import', 'tsx', worker], {
    cwd: repositoryRoot,
    env: {
      ...process.env,
      PGDEST_WORKER: JSON.stringify(full),
      STATE_PASSWORD: keeperPassword,
      BASTION_KEY: lab.clientKey.privateKey,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const events: WorkerEvent[] = [];
  const listeners = new Set<() => void>();
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    stdout += `${line}\n`;
    events.push(JSON.parse(line) as WorkerEvent);
    for (const listener of listeners) listener();
  });
  const exited = once(child, 'exit');
  exited.then(() => {
    for (const listener of listeners) listener();
  });

  const running: Worker = {
    child,
    exited,
    output: () => `${stdout}\n${stderr}`,
    next: (event) =>
      new Promise((resolve, reject) => {
        const look = () => {
          const index = events.findIndex((seen) => seen.event === event || seen.event === 'failed');
          if (index >= 0) {
            const [found] = events.splice(index, 1);
            listeners.delete(look);
            if (found!.event === event) resolve(found!);
            else
              reject(new Error(`worker ${task.name} failed: ${JSON.stringify(found)}\n${stderr}`));
          } else if (child.exitCode !== null || child.signalCode !== null) {
            listeners.delete(look);
            reject(
              new Error(`worker ${task.name} exited without "${event}":\n${stdout}\n${stderr}`),
            );
          }
        };
        listeners.add(look);
        look();
      }),
  };
  workers.push(running);
  workersSeen.push(running);
  return running;
}
