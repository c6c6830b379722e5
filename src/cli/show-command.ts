import { renderState } from '../render/render-state.ts';
import { serializeState } from '../state/serialize-state.ts';
import { commonOptions, formatOption, type Command } from './command.ts';
import { openStoreOption } from './open-store-option.ts';
import { paletteFor } from './output.ts';

export const showCommand: Command = {
  name: 'show',
  summary: 'Print the state: what pgdest last applied to each destination',
  usage: 'pgdest show [-c PATH] [--format human|json]',
  description: 'Prints the state that the config\'s `state:` section points at (default .pgdest/state.json): per destination, the bastion and the host key seen, the database, the requested and effective schema, whether the fallback was used, the server version, and when. It holds no secret. With --format json, the state document itself.',
  options: { ...commonOptions, format: formatOption(['human', 'json']) },
  maxPositionals: 0,
  async run(context) {
    const { io, options } = context;
    const { store } = openStoreOption(context);
    const state = await store.read();
    if (options.format === 'json') {
      io.stdout.write(state ? serializeState(state) : 'null\n');
      return 0;
    }
    io.stdout.write(renderState(state, store.location, paletteFor(io, options, 'stdout')));
    return 0;
  },
};
