/*
 * A pgdest run on a PostgreSQL state, in a process of its own, for the tests
 * in state-postgres-bastion.test.ts. It opens the store as the CLI does
 * (openStateStore, through a bastion when one is given) and prints one JSON
 * line per event on standard output.
 *
 * Usage: node --import tsx postgres-state-worker.ts
 * with PGDEST_WORKER (JSON: WorkerTask), STATE_PASSWORD and, with a bastion,
 * BASTION_KEY in the environment.
 *
 * Tasks:
 *   hold       take the lock (no wait), print `locked`, then sleep until killed
 *   try        take the lock without waiting: print `locked`, or `refused` with the diagnostic
 *   increment  `rounds` times: lock (waiting), read, add a destination, write, release
 *   race       `rounds` times without the lock: read, add a destination, write,
 *              starting over when the write is refused as stale
 *
 * With `startTogether`, the worker connects first, prints `ready`, and starts
 * its task only when a line arrives on standard input, so that the test can
 * start two workers at the same moment.
 */
import type { Bastion, DatabaseEndpoint } from '../../../../src/config/model.ts';
import { Secret } from '../../../../src/config/secret.ts';
import { UserError } from '../../../../src/diagnostics/diagnostic.ts';
import type { Logger } from '../../../../src/diagnostics/logger.ts';
import { describeThisRun } from '../../../../src/state/describe-this-run.ts';
import { openStateStore } from '../../../../src/state/open-state-store.ts';
import {
  advanceState,
  newState,
  type DestinationState,
  type State,
} from '../../../../src/state/state.ts';
import type { StateStore } from '../../../../src/state/state-store.ts';
import { TunnelPool } from '../../../../src/tunnel/tunnel-pool.ts';

/** What the test asks the worker to do. */
export interface WorkerTask {
  task: 'hold' | 'try' | 'increment' | 'race';
  /** Names the destinations this worker adds, and its lock holder's command. */
  name: string;
  rounds?: number;
  startTogether?: boolean;
  database: Omit<DatabaseEndpoint, 'password'>;
  schema: string;
  key: string;
  bastion?: { host: string; port: number; user: string; hostKey: string };
}

const task = JSON.parse(process.env.PGDEST_WORKER ?? '') as WorkerTask;
const print = (event: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify(event)}\n`);
let waits = 0;
const logger: Logger = {
  debug(scope, message) {
    if (scope === 'state' && message.startsWith('waiting up to')) waits += 1;
    process.stderr.write(`debug ${scope}: ${message}\n`);
  },
  warn(scope, message) {
    process.stderr.write(`warn ${scope}: ${message}\n`);
  },
};

const tunnels = new TunnelPool(
  new Map(task.bastion ? [['state', describeBastion(task.bastion)]] : []),
  { logger },
);
const store = openStateStore(
  {
    backend: 'postgres',
    ...(task.bastion ? { bastion: 'state' } : {}),
    database: {
      ...task.database,
      password: new Secret('env:STATE_PASSWORD', process.env.STATE_PASSWORD),
    },
    schema: task.schema,
    key: task.key,
  },
  { logger, tunnels },
);
const holder = describeThisRun(`pgdest apply (${task.name})`);

try {
  if (task.startTogether) {
    await store.read();
    print({ event: 'ready' });
    await new Promise((resolve) => process.stdin.once('data', resolve));
    process.stdin.pause();
  }
  await runTask(store);
} catch (error) {
  print({
    event: 'failed',
    diagnostics: error instanceof UserError ? error.diagnostics : [{ summary: String(error) }],
  });
  process.exitCode = 1;
} finally {
  await store.close();
  await tunnels.close();
}

async function runTask(store: StateStore): Promise<void> {
  switch (task.task) {
    case 'hold':
      await store.lock(holder, 0);
      print({ event: 'locked' });
      await new Promise(() => setInterval(() => {}, 60_000));
      return;
    case 'try':
      try {
        await store.lock(holder, 0);
        print({ event: 'locked' });
      } catch (error) {
        if (!(error instanceof UserError)) throw error;
        print({ event: 'refused', diagnostic: error.diagnostics[0] });
      }
      return;
    case 'increment':
      for (let round = 0; round < (task.rounds ?? 1); round += 1) {
        const lock = await store.lock(holder, 60_000);
        const state = (await store.read()) ?? newState();
        await store.write(addDestination(state, round));
        await lock.release();
      }
      print({ event: 'done', waits });
      return;
    case 'race': {
      let refusals = 0;
      for (let round = 0; round < (task.rounds ?? 1);) {
        const state = (await store.read()) ?? newState();
        try {
          await store.write(addDestination(state, round));
          round += 1;
        } catch (error) {
          if (
            !(error instanceof UserError) ||
            error.diagnostics[0]?.summary !== 'State changed since it was read'
          )
            throw error;
          refusals += 1;
        }
      }
      print({ event: 'done', refusals });
      return;
    }
  }
}

function addDestination(state: State, round: number): State {
  const entry: DestinationState = {
    bastion: null,
    database: { host: 'db.internal', port: 5432, name: 'analytics', user: 'loader' },
    schema: { requested: 'raw', effective: 'raw', fallback: false },
    privileges: ['INSERT'],
    onDelete: 'forget',
    serverVersion: '15.0',
    appliedAt: new Date().toISOString(),
  };
  return advanceState(state, { ...state.destinations, [`${task.name}_${round}`]: entry });
}

function describeBastion(bastion: NonNullable<WorkerTask['bastion']>): Bastion {
  return {
    name: 'state',
    host: bastion.host,
    port: bastion.port,
    user: bastion.user,
    auth: { kind: 'key', privateKey: new Secret('env:BASTION_KEY', process.env.BASTION_KEY) },
    hostKey: bastion.hostKey,
    hostKeyCheck: 'strict',
    connectTimeoutMs: 10_000,
    keepaliveIntervalMs: 15_000,
    source: {
      file: 'pgdest.yaml',
      line: 1,
      column: 1,
      endLine: 1,
      endColumn: 1,
      path: 'bastions.state',
    },
  };
}
