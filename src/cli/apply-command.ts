import { resolve } from 'node:path';
import { applyPlan } from '../apply/apply-plan.ts';
import { StateRecorder } from '../apply/state-recorder.ts';
import { errorDiagnostic, UserError } from '../diagnostics/diagnostic.ts';
import { toPlanDocument } from '../plan/plan-document.ts';
import { hasChanges } from '../plan/plan.ts';
import { toApplyDocument } from '../render/apply-document.ts';
import { renderApplyResult } from '../render/render-apply-result.ts';
import { renderPlan } from '../render/render-plan.ts';
import { askConfirmation } from './ask-confirmation.ts';
import { commonOptions, formatOption, type Command, type CommandContext } from './command.ts';
import { createLogger } from './create-logger.ts';
import { loadConfigForRun } from './load-config-option.ts';
import { paletteFor, printDiagnostics, writeJson } from './output.ts';
import { readPlanFile } from './plan-file.ts';
import { prepareRun } from './prepare-run.ts';
import { createProgressReporter } from './progress-reporter.ts';
import { connectOptions, readRunOptions } from './run-options.ts';
import { checkPlanConfig } from './saved-plan.ts';
import { pgdestVersion } from './version.ts';

const autoApprove = { type: 'boolean' as const, description: 'apply without asking for yes' };

export const applyCommand: Command = {
  name: 'apply',
  summary: 'Apply a saved plan, or plan, ask for yes, and apply; record each destination in state',
  usage:
    'pgdest apply [PLANFILE] [-c PATH] [--auto-approve] [--format human|json] [--target NAME]... [--parallelism N] [--lock-timeout DURATION]',
  description:
    "With PLANFILE, applies exactly the changes saved by `pgdest plan -o`: it refuses a plan whose configuration changed (Saved plan does not match the configuration) or whose state moved on (Saved plan is stale), opens the tunnels afresh, and refuses when the databases changed in a way that would make the saved steps wrong. Without it, plans, shows the plan and asks for yes on a terminal; without a terminal it refuses unless --auto-approve is given. Each destination's result is written to state as soon as it is done; a destination that fails does not stop the others, and the next apply continues from there. Exits 0 when everything applied, 1 otherwise.",
  options: {
    ...commonOptions,
    ...connectOptions,
    'auto-approve': autoApprove,
    format: formatOption(['human', 'json']),
  },
  maxPositionals: 1,
  run: (context) => runApply(context, false),
};

export const destroyCommand: Command = {
  name: 'destroy',
  summary: 'Plan the deletion of every destination in state, then apply it after yes',
  usage:
    'pgdest destroy [-c PATH] [--auto-approve] [--format human|json] [--target NAME]... [--parallelism N] [--lock-timeout DURATION]',
  description:
    'Deletes every destination that state holds (or the targeted ones): `on_delete: forget` drops it from state and keeps its schema; `on_delete: drop` runs DROP SCHEMA ... CASCADE, shown as destructive. Asks for yes like apply.',
  options: {
    ...commonOptions,
    ...connectOptions,
    'auto-approve': autoApprove,
    format: formatOption(['human', 'json']),
  },
  maxPositionals: 0,
  run: (context) => runApply(context, true),
};

async function runApply(
  { io, options, positionals }: CommandContext,
  destroy: boolean,
): Promise<number> {
  const name = destroy ? 'destroy' : 'apply';
  const json = options.format === 'json';
  const planPath = positionals[0] === undefined ? undefined : resolve(io.cwd, positionals[0]);
  const approved = options['auto-approve'] === true || planPath !== undefined;
  if (!approved && (!io.stdinIsTTY || json)) {
    throw new UserError(
      errorDiagnostic(`${destroy ? 'Destroy' : 'Apply'} needs a confirmation`, {
        detail: json
          ? `pgdest ${name} --format json cannot ask for yes, since its output is for a program.`
          : `pgdest ${name} asks for yes before changing anything, and standard input is not a terminal.`,
        hint: `Review the plan with \`pgdest plan -o FILE\` and apply that file, or run \`pgdest ${name} --auto-approve\` (for example in CI).`,
      }),
    );
  }

  const runOptions = readRunOptions(options);
  const saved =
    planPath === undefined
      ? undefined
      : { document: await readPlanFile(planPath), path: positionals[0]! };
  const config = loadConfigForRun(io, options);
  if (saved) checkPlanConfig(saved.document, config, saved.path);
  const stdout = paletteFor(io, options, 'stdout');
  const logger = createLogger(io, options.verbose === true, paletteFor(io, options, 'stderr'));
  const progress = createProgressReporter(io, config, paletteFor(io, options, 'stderr'));
  const run = await prepareRun(config, {
    ...runOptions,
    destroy,
    saved,
    command: `pgdest ${name}`,
    logger,
    env: io.env,
    onProgress: progress.listener,
  }).finally(() => progress.finish());
  try {
    const { plan } = run;
    const planningFailed = plan.diagnostics.some((d) => d.severity === 'error');
    const document = toPlanDocument(plan, {
      version: pgdestVersion,
      createdAt: new Date(),
      targets: runOptions.targets,
      destroy,
    });
    printDiagnostics(io, options, plan.diagnostics);
    if (!json) io.stdout.write(renderPlan(plan, stdout));
    if (!hasChanges(plan) || (saved && planningFailed)) {
      if (json) writeJson(io, toApplyDocument(document, { applied: [], diagnostics: [] }));
      return planningFailed ? 1 : 0;
    }

    // Ask, unless approved beforehand; only `yes` goes on.
    if (!approved) {
      const destructive = plan.changes.some((change) => change.destructive)
        ? ' Destructive changes drop schemas with every table in them.'
        : '';
      const question = `\nDo you want to perform these actions?${destructive} Only 'yes' will be accepted.\n  Enter a value: `;
      if (!(await askConfirmation(io, question))) {
        io.stdout.write(`\n${destroy ? 'Destroy' : 'Apply'} cancelled.\n`);
        return 1;
      }
    }

    const recorder = new StateRecorder(run.store, run.prior);
    const result = await applyPlan(plan, {
      config,
      sessions: run.sessions,
      observations: run.observations,
      recorder,
      parallelism: runOptions.parallelism,
      environment: run.environment,
      onProgress: progress.listener,
    }).finally(() => progress.finish());
    printDiagnostics(io, options, result.diagnostics);
    if (json) writeJson(io, toApplyDocument(document, result));
    else io.stdout.write(`\n${renderApplyResult(result, stdout)}`);
    return planningFailed || result.diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
  } finally {
    await run.close();
  }
}
