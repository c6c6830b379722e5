import { resolve } from 'node:path';
import { toPlanDocument } from '../plan/plan-document.ts';
import { hasChanges } from '../plan/plan.ts';
import { renderPlanMarkdown } from '../render/render-plan-markdown.ts';
import { renderPlan } from '../render/render-plan.ts';
import { commonOptions, formatOption, type Command } from './command.ts';
import { createLogger } from './create-logger.ts';
import { loadConfigForRun } from './load-config-option.ts';
import { paletteFor, printDiagnostics, writeJson } from './output.ts';
import { writePlanFile } from './plan-file.ts';
import { prepareRun } from './prepare-run.ts';
import { createProgressReporter } from './progress-reporter.ts';
import { connectOptions, readRunOptions } from './run-options.ts';
import { pgdestVersion } from './version.ts';

export const planCommand: Command = {
  name: 'plan',
  summary: 'Read what the databases hold through the tunnels and show what apply would change',
  usage:
    'pgdest plan [-c PATH] [-o FILE] [--format human|json|markdown] [--detailed-exitcode] [--target NAME]... [--parallelism N] [--lock-timeout DURATION]',
  description:
    "Opens one SSH connection per bastion, reads each destination's actual state in one catalog query, compares it with the config and the state, and prints the changes apply would make: + create, ~ update, - delete, with the SQL it would run. It predicts the fallback to public before anything runs. Nothing is changed. -o saves the plan (JSON, mode 0600, no secrets) for `pgdest apply FILE`. Exits 0, or 1 on an error; with --detailed-exitcode, 2 when there are changes (drift that apply would repair included).",
  options: {
    ...commonOptions,
    ...connectOptions,
    out: {
      type: 'string',
      short: 'o',
      value: 'FILE',
      description: 'save the plan to FILE, for `pgdest apply FILE`',
    },
    format: formatOption(['human', 'json', 'markdown']),
    'detailed-exitcode': {
      type: 'boolean',
      description: 'exit 2 when there are changes, 0 when there are none',
    },
  },
  maxPositionals: 0,
  async run({ io, options }) {
    const runOptions = readRunOptions(options);
    const config = loadConfigForRun(io, options);
    const logger = createLogger(io, options.verbose === true, paletteFor(io, options, 'stderr'));
    const progress = createProgressReporter(io, config, paletteFor(io, options, 'stderr'));
    const run = await prepareRun(config, {
      ...runOptions,
      command: 'pgdest plan',
      logger,
      env: io.env,
      onProgress: progress.listener,
    }).finally(() => progress.finish());
    try {
      const { plan } = run;
      const document = toPlanDocument(plan, {
        version: pgdestVersion,
        createdAt: new Date(),
        targets: runOptions.targets,
        destroy: false,
      });
      const out = options.out as string | undefined;
      if (out !== undefined) await writePlanFile(resolve(io.cwd, out), document);

      // Results on standard output, in the format asked for; diagnostics on standard error.
      printDiagnostics(io, options, plan.diagnostics);
      if (options.format === 'json') writeJson(io, document);
      else if (options.format === 'markdown') io.stdout.write(renderPlanMarkdown(plan));
      else io.stdout.write(renderPlan(plan, paletteFor(io, options, 'stdout')));
      if (out !== undefined && options.format !== 'json')
        io.stderr.write(
          `Saved the plan to ${out}. Apply exactly this plan with: pgdest apply ${out}\n`,
        );

      if (plan.diagnostics.some((d) => d.severity === 'error')) return 1;
      return options['detailed-exitcode'] === true && hasChanges(plan) ? 2 : 0;
    } finally {
      await run.close();
    }
  },
};
