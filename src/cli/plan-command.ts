import { hasChanges } from '../plan/plan.ts';
import { renderPlan } from '../render/render-plan.ts';
import { commonOptions, type Command } from './command.ts';
import { createLogger } from './create-logger.ts';
import { loadConfigForRun } from './load-config-option.ts';
import { paletteFor, printDiagnostics } from './output.ts';
import { prepareRun } from './prepare-run.ts';
import { connectOptions, readRunOptions } from './run-options.ts';

export const planCommand: Command = {
  name: 'plan',
  summary: 'Read what the databases hold through the tunnels and show what apply would change',
  usage: 'pgdest plan [-c PATH] [--detailed-exitcode] [--target NAME]... [--parallelism N] [--lock-timeout DURATION]',
  description:
    'Opens one SSH connection per bastion, reads each destination\'s actual state in one catalog query, compares it with the config and the state, and prints the changes apply would make: + create, ~ update, - delete, with the SQL it would run. It predicts the fallback to public before anything runs. Nothing is changed. Exits 0, or 1 on an error; with --detailed-exitcode, 2 when there are changes (drift that apply would repair included).',
  options: {
    ...commonOptions,
    ...connectOptions,
    'detailed-exitcode': { type: 'boolean', description: 'exit 2 when there are changes, 0 when there are none' },
  },
  maxPositionals: 0,
  async run({ io, options }) {
    const runOptions = readRunOptions(options);
    const config = loadConfigForRun(io, options);
    const logger = createLogger(io, options.verbose === true, paletteFor(io, options, 'stderr'));
    const run = await prepareRun(config, { ...runOptions, command: 'pgdest plan', logger, env: io.env });
    try {
      const { plan } = run;
      printDiagnostics(io, options, plan.diagnostics);
      io.stdout.write(renderPlan(plan, paletteFor(io, options, 'stdout')));
      if (plan.diagnostics.some((d) => d.severity === 'error')) return 1;
      return options['detailed-exitcode'] === true && hasChanges(plan) ? 2 : 0;
    } finally {
      await run.close();
    }
  },
};
