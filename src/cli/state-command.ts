import { errorDiagnostic, UserError } from '../diagnostics/diagnostic.ts';
import { suggestion } from '../diagnostics/did-you-mean.ts';
import { renderStateEntry } from '../render/render-state.ts';
import { describeThisRun } from '../state/describe-this-run.ts';
import { advanceState } from '../state/state.ts';
import { commonOptions, type Command, type CommandContext } from './command.ts';
import { openStoreOption } from './open-store-option.ts';
import { paletteFor } from './output.ts';
import { readRunOptions } from './run-options.ts';

const subcommands: Record<string, { usage: string; run: (context: CommandContext, names: string[]) => Promise<number> }> = {
  list: { usage: 'pgdest state list', run: listState },
  show: { usage: 'pgdest state show NAME', run: showEntry },
  rm: { usage: 'pgdest state rm NAME...', run: removeEntries },
};

export const stateCommand: Command = {
  name: 'state',
  summary: 'Read or edit the state by hand: list, show NAME, rm NAME...',
  usage: 'pgdest state list | show NAME | rm NAME... [-c PATH] [--lock-timeout DURATION]',
  description:
    '`state list` prints the addresses of the destinations in state; `state show NAME` prints one; `state rm NAME...` makes pgdest forget destinations without touching their databases (the next plan would create them again if the config still declares them). rm takes the state lock.',
  options: { ...commonOptions, 'lock-timeout': { type: 'string', value: 'DURATION', description: 'how long to wait for the state lock (default: 0s)' } },
  maxPositionals: 100,
  async run(context) {
    const [verb, ...names] = context.positionals;
    const subcommand = verb === undefined ? undefined : subcommands[verb];
    if (!subcommand) {
      throw new UserError(errorDiagnostic(verb === undefined ? 'Missing state subcommand' : `Unknown state subcommand "${verb}"`, {
        detail: `pgdest state takes ${Object.keys(subcommands).join(', ')}.`,
        hint: (verb && suggestion(verb, Object.keys(subcommands))) || `Usage: ${stateCommand.usage}`,
      }));
    }
    return subcommand.run(context, names.map((name) => name.replace(/^destination\./, '')));
  },
};

async function listState(context: CommandContext): Promise<number> {
  const { store } = openStoreOption(context);
  const state = await store.read();
  for (const name of Object.keys(state?.destinations ?? {}).sort()) context.io.stdout.write(`destination.${name}\n`);
  return 0;
}

async function showEntry(context: CommandContext, names: string[]): Promise<number> {
  if (names.length !== 1) throw usageError('show', 'pgdest state show NAME');
  const { store } = openStoreOption(context);
  const state = await store.read();
  const entry = state?.destinations[names[0]!];
  if (!entry) throw notInState(names[0]!, Object.keys(state?.destinations ?? {}));
  context.io.stdout.write(`${renderStateEntry(names[0]!, entry, paletteFor(context.io, context.options, 'stdout')).join('\n')}\n`);
  return 0;
}

async function removeEntries(context: CommandContext, names: string[]): Promise<number> {
  if (names.length === 0) throw usageError('rm', 'pgdest state rm NAME...');
  const { lockTimeoutMs } = readRunOptions(context.options);
  const { store } = openStoreOption(context);
  const lock = await store.lock(describeThisRun('pgdest state rm'), lockTimeoutMs);
  try {
    const state = await store.read();
    const known = Object.keys(state?.destinations ?? {});
    const missing = names.filter((name) => !known.includes(name));
    if (!state || missing.length > 0) throw notInState(missing[0] ?? names[0]!, known);
    const destinations = { ...state.destinations };
    for (const name of names) delete destinations[name];
    await store.write(advanceState(state, destinations));
    for (const name of names) context.io.stdout.write(`Removed destination.${name} from state; its database is unchanged.\n`);
    return 0;
  } finally {
    await lock.release();
  }
}

function usageError(verb: string, usage: string): UserError {
  return new UserError(errorDiagnostic(`Wrong arguments for state ${verb}`, { detail: `Usage: ${usage}`, hint: 'Name destinations as in the config, such as warehouse or destination.warehouse.' }));
}

function notInState(name: string, known: string[]): UserError {
  return new UserError(errorDiagnostic(`destination.${name} is not in state`, {
    detail: known.length ? `The state holds ${known.map((n) => `destination.${n}`).join(', ')}.` : 'The state holds no destination.',
    hint: suggestion(name, known) ?? 'Run `pgdest state list` to see what it holds.',
  }));
}
