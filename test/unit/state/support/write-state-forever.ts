/*
 * Run by local-state-store-crash.test.ts in a child process, which it kills
 * with SIGKILL at a random moment. Takes the lock (taking over the one the
 * previous, killed child left), then writes one serial after another, each of
 * a different size, until it is killed. Prints `writing` once two writes are
 * done, so that a state and a backup exist.
 *
 * Usage: node --import tsx write-state-forever.ts STATE_PATH
 */
import type { DestinationState } from '../../../../src/state/state.ts';
import { advanceState, newState } from '../../../../src/state/state.ts';
import { describeThisRun } from '../../../../src/state/describe-this-run.ts';
import { LocalStateStore } from '../../../../src/state/local-state-store.ts';

const path = process.argv[2];
if (!path) throw new Error('usage: write-state-forever.ts STATE_PATH');

const store = new LocalStateStore({ path });
await store.lock(describeThisRun('write-state-forever'), 30_000);
let state = (await store.read()) ?? newState();

for (let round = 1; ; round += 1) {
  state = advanceState(state, describeDestinations(state.serial + 1));
  await store.write(state);
  if (round === 2) process.stdout.write('writing\n');
}

/** As many destinations as `serial` modulo 9 plus one, so that a torn file cannot look whole. */
function describeDestinations(serial: number): Record<string, DestinationState> {
  const destinations: Record<string, DestinationState> = {};
  for (let index = 0; index <= serial % 9; index += 1) {
    destinations[`destination_${index}`] = {
      bastion: null,
      database: { host: `db-${index}.internal`, port: 5432, name: 'analytics', user: 'loader' },
      schema: { requested: 'raw', effective: 'raw', fallback: false },
      privileges: ['INSERT', 'SELECT'],
      onDelete: 'forget',
      serverVersion: `16.${serial}`,
      appliedAt: new Date().toISOString(),
    };
  }
  return destinations;
}
