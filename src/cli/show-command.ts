import { resolve } from 'node:path';
import { fromPlanDocument } from '../plan/plan-document.ts';
import { renderPlan } from '../render/render-plan.ts';
import { renderState } from '../render/render-state.ts';
import { serializeState } from '../state/serialize-state.ts';
import { commonOptions, formatOption, type Command } from './command.ts';
import { openStoreOption } from './open-store-option.ts';
import { paletteFor, printDiagnostics, writeJson } from './output.ts';
import { readPlanFile } from './plan-file.ts';

export const showCommand: Command = {
  name: 'show',
  summary: 'Print a saved plan, or the state when no file is given',
  usage: 'pgdest show [PLANFILE] [-c PATH] [--format human|json]',
  description:
    "With PLANFILE, prints a plan saved by `pgdest plan -o` as a person reads it, or as its JSON document. Without it, prints the state that the config's `state:` section points at (default .pgdest/state.json): per destination, the bastion and the host key seen, the database, the requested and effective schema, whether the fallback was used, the server version, and when. Neither holds a secret.",
  options: { ...commonOptions, format: formatOption(['human', 'json']) },
  maxPositionals: 1,
  async run(context) {
    const { io, options, positionals } = context;
    const palette = paletteFor(io, options, 'stdout');
    if (positionals[0] !== undefined) {
      const document = await readPlanFile(resolve(io.cwd, positionals[0]));
      if (options.format === 'json') {
        writeJson(io, document);
        return 0;
      }
      const plan = fromPlanDocument(document);
      const against = document.prior_state
        ? `state serial ${document.prior_state.serial}`
        : 'no state';
      io.stdout.write(
        palette.dim(
          `# Saved plan made ${document.created_at} by pgdest ${document.pgdest_version}, against ${against}.`,
        ) + '\n\n',
      );
      printDiagnostics(io, options, plan.diagnostics);
      io.stdout.write(renderPlan(plan, palette));
      return 0;
    }

    const { store, close } = openStoreOption(context);
    try {
      const state = await store.read();
      if (options.format === 'json') io.stdout.write(state ? serializeState(state) : 'null\n');
      else io.stdout.write(renderState(state, store.location, palette));
      return 0;
    } finally {
      await close();
    }
  },
};
