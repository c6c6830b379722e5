import { resolve } from 'node:path';
import { errorDiagnostic, UserError } from '../diagnostics/diagnostic.ts';
import { suggestion } from '../diagnostics/did-you-mean.ts';
import { renderStateEntry } from '../render/render-state.ts';
import { describeThisRun } from '../state/describe-this-run.ts';
import { LocalStateStore } from '../state/local-state-store.ts';
import { migrateState } from '../state/migrate-state.ts';
import { advanceState } from '../state/state.ts';
import type { StateStore } from '../state/state-store.ts';
import { askConfirmation } from './ask-confirmation.ts';
import { commonOptions, type Command, type CommandContext } from './command.ts';
import { openStoreOption } from './open-store-option.ts';
import { paletteFor } from './output.ts';
import { readRunOptions } from './run-options.ts';

type Subcommand = (context: CommandContext, names: string[], store: StateStore) => Promise<number>;

const subcommands: Record<string, Subcommand> = {
  list: listState,
  show: showEntry,
  rm: removeEntries,
  unlock: unlockState,
  migrate: migrate,
};

export const stateCommand: Command = {
  name: 'state',
  summary: 'Read or edit the state by hand: list, show NAME, rm NAME..., unlock, migrate',
  usage:
    'pgdest state list | show NAME | rm NAME... | unlock [--force] | migrate --from FILE | --to FILE  [-c PATH] [--lock-timeout DURATION]',
  description:
    "`state list` prints the addresses of the destinations in state; `state show NAME` prints one; `state rm NAME...` makes pgdest forget destinations without touching their databases. `state unlock` clears a lock that a dead run left (it asks first; --force without a terminal). `state migrate --from FILE` copies a local state file into the backend the config's `state:` section names (such as postgres), and `--to FILE` copies that backend's state into a local file; lineage and serial are kept, and the source is left as it was.",
  options: {
    ...commonOptions,
    'lock-timeout': {
      type: 'string',
      value: 'DURATION',
      description: 'how long to wait for the state lock (default: 0s)',
    },
    force: { type: 'boolean', description: 'state unlock: do not ask' },
    from: {
      type: 'string',
      value: 'FILE',
      description: 'state migrate: the local state file to copy into the configured backend',
    },
    to: {
      type: 'string',
      value: 'FILE',
      description: 'state migrate: the local state file to copy the configured backend into',
    },
  },
  maxPositionals: 100,
  async run(context) {
    const [verb, ...names] = context.positionals;
    const subcommand = verb === undefined ? undefined : subcommands[verb];
    if (!subcommand) {
      throw new UserError(
        errorDiagnostic(
          verb === undefined ? 'Missing state subcommand' : `Unknown state subcommand "${verb}"`,
          {
            detail: `pgdest state takes ${Object.keys(subcommands).join(', ')}.`,
            hint:
              (verb && suggestion(verb, Object.keys(subcommands))) ||
              `Usage: ${stateCommand.usage}`,
          },
        ),
      );
    }
    const { store, close } = openStoreOption(context);
    try {
      return await subcommand(
        context,
        names.map((name) => name.replace(/^destination\./, '')),
        store,
      );
    } finally {
      await close();
    }
  },
};

async function listState(
  context: CommandContext,
  _names: string[],
  store: StateStore,
): Promise<number> {
  const state = await store.read();
  for (const name of Object.keys(state?.destinations ?? {}).sort())
    context.io.stdout.write(`destination.${name}\n`);
  return 0;
}

async function showEntry(
  context: CommandContext,
  names: string[],
  store: StateStore,
): Promise<number> {
  if (names.length !== 1) throw usageError('show', 'pgdest state show NAME');
  const state = await store.read();
  const entry = state?.destinations[names[0]!];
  if (!entry) throw notInState(names[0]!, Object.keys(state?.destinations ?? {}));
  context.io.stdout.write(
    `${renderStateEntry(names[0]!, entry, paletteFor(context.io, context.options, 'stdout')).join('\n')}\n`,
  );
  return 0;
}

async function removeEntries(
  context: CommandContext,
  names: string[],
  store: StateStore,
): Promise<number> {
  if (names.length === 0) throw usageError('rm', 'pgdest state rm NAME...');
  const { lockTimeoutMs } = readRunOptions(context.options);
  const lock = await store.lock(describeThisRun('pgdest state rm'), lockTimeoutMs);
  try {
    const state = await store.read();
    const known = Object.keys(state?.destinations ?? {});
    const missing = names.filter((name) => !known.includes(name));
    if (!state || missing.length > 0) throw notInState(missing[0] ?? names[0]!, known);
    const destinations = { ...state.destinations };
    for (const name of names) delete destinations[name];
    await store.write(advanceState(state, destinations));
    for (const name of names)
      context.io.stdout.write(
        `Removed destination.${name} from state; its database is unchanged.\n`,
      );
    return 0;
  } finally {
    await lock.release();
  }
}

async function unlockState(
  context: CommandContext,
  _names: string[],
  store: StateStore,
): Promise<number> {
  const { io, options } = context;
  if (options.force !== true) {
    if (!io.stdinIsTTY) {
      throw new UserError(
        errorDiagnostic('Unlock needs a confirmation', {
          detail:
            'pgdest state unlock removes the lock whoever holds it, and standard input is not a terminal to ask on.',
          hint: 'Make sure no pgdest run is still going, then run `pgdest state unlock --force`.',
        }),
      );
    }
    const question = `Remove the lock on ${store.location}? A run that still holds it could then write at the same time as another. Only 'yes' will be accepted.\n  Enter a value: `;
    if (!(await askConfirmation(io, question))) {
      io.stdout.write('Unlock cancelled.\n');
      return 1;
    }
  }
  const result = await store.forceUnlock();
  if (result.kind === 'not-locked') {
    io.stdout.write(`${store.location} is not locked.\n`);
    return 0;
  }
  const holder = result.holder;
  io.stdout.write(
    holder
      ? `Removed the lock of ${holder.command} (process ${holder.pid} on ${holder.host}, since ${holder.since}).\n`
      : `Removed a lock whose holder could not be read.\n`,
  );
  return 0;
}

async function migrate(
  context: CommandContext,
  _names: string[],
  configured: StateStore,
): Promise<number> {
  const from = context.options.from as string | undefined;
  const to = context.options.to as string | undefined;
  if ((from === undefined) === (to === undefined)) {
    throw new UserError(
      errorDiagnostic('Wrong arguments for state migrate', {
        detail: 'Usage: pgdest state migrate --from FILE | --to FILE',
        hint: 'Give exactly one: --from copies a local state file into the backend the config names; --to copies that backend into a local file.',
      }),
    );
  }
  const local = new LocalStateStore({ path: resolve(context.io.cwd, (from ?? to)!) });
  const { lockTimeoutMs } = readRunOptions(context.options);
  try {
    const [source, target] = from !== undefined ? [local, configured] : [configured, local];
    const result = await migrateState(
      source,
      target,
      describeThisRun('pgdest state migrate'),
      lockTimeoutMs,
    );
    const what = result.outcome === 'copied' ? 'Copied' : 'Already there:';
    context.io.stdout.write(
      `${what} state serial ${result.serial} (lineage ${result.lineage}) from ${result.from} to ${result.to}.\n${result.nextStep}\n`,
    );
    return 0;
  } finally {
    await local.close();
  }
}

function usageError(verb: string, usage: string): UserError {
  return new UserError(
    errorDiagnostic(`Wrong arguments for state ${verb}`, {
      detail: `Usage: ${usage}`,
      hint: 'Name destinations as in the config, such as warehouse or destination.warehouse.',
    }),
  );
}

function notInState(name: string, known: string[]): UserError {
  return new UserError(
    errorDiagnostic(`destination.${name} is not in state`, {
      detail: known.length
        ? `The state holds ${known.map((n) => `destination.${n}`).join(', ')}.`
        : 'The state holds no destination.',
      hint: suggestion(name, known) ?? 'Run `pgdest state list` to see what it holds.',
    }),
  );
}
