import { applyPlan } from '../apply/apply-plan.ts';
import { StateRecorder } from '../apply/state-recorder.ts';
import { errorDiagnostic, UserError } from '../diagnostics/diagnostic.ts';
import { hasChanges } from '../plan/plan.ts';
import { renderApplyResult } from '../render/render-apply-result.ts';
import { renderPlan } from '../render/render-plan.ts';
import { askConfirmation } from './ask-confirmation.ts';
import { commonOptions, type Command, type CommandContext } from './command.ts';
import { createLogger } from './create-logger.ts';
import { loadConfigForRun } from './load-config-option.ts';
import { paletteFor, printDiagnostics } from './output.ts';
import { prepareRun } from './prepare-run.ts';
import { connectOptions, readRunOptions } from './run-options.ts';

const autoApprove = { type: 'boolean' as const, description: 'apply without asking for yes' };

export const applyCommand: Command = {
  name: 'apply',
  summary: 'Plan, ask for yes, then create schemas and grants and record them in state',
  usage: 'pgdest apply [-c PATH] [--auto-approve] [--target NAME]... [--parallelism N] [--lock-timeout DURATION]',
  description:
    'Plans as `pgdest plan` does, shows the plan, and asks for yes on a terminal; without a terminal it refuses unless --auto-approve is given. Each destination\'s result is written to state as soon as it is done; a destination that fails does not stop the others, and the next apply continues from there. Exits 0 when everything applied, 1 otherwise.',
  options: { ...commonOptions, ...connectOptions, 'auto-approve': autoApprove },
  maxPositionals: 0,
  run: (context) => runApply(context, false),
};

export const destroyCommand: Command = {
  name: 'destroy',
  summary: 'Plan the deletion of every destination in state, then apply it after yes',
  usage: 'pgdest destroy [-c PATH] [--auto-approve] [--target NAME]... [--lock-timeout DURATION]',
  description:
    'Deletes every destination that state holds (or the targeted ones): `on_delete: forget` drops it from state and keeps its schema; `on_delete: drop` runs DROP SCHEMA ... CASCADE, shown as destructive. Asks for yes like apply.',
  options: { ...commonOptions, ...connectOptions, 'auto-approve': autoApprove },
  maxPositionals: 0,
  run: (context) => runApply(context, true),
};

async function runApply({ io, options }: CommandContext, destroy: boolean): Promise<number> {
  const name = destroy ? 'destroy' : 'apply';
  const approved = options['auto-approve'] === true;
  if (!approved && !io.stdinIsTTY) {
    throw new UserError(errorDiagnostic(`${destroy ? 'Destroy' : 'Apply'} needs a confirmation`, {
      detail: `pgdest ${name} asks for yes before changing anything, and standard input is not a terminal.`,
      hint: `Review the plan with \`pgdest plan\`, then run \`pgdest ${name} --auto-approve\` (for example in CI).`,
    }));
  }
  const runOptions = readRunOptions(options);
  const config = loadConfigForRun(io, options);
  const stdout = paletteFor(io, options, 'stdout');
  const logger = createLogger(io, options.verbose === true, paletteFor(io, options, 'stderr'));
  const run = await prepareRun(config, { ...runOptions, destroy, command: `pgdest ${name}`, logger, env: io.env });
  try {
    const { plan } = run;
    const planningFailed = plan.diagnostics.some((d) => d.severity === 'error');
    printDiagnostics(io, options, plan.diagnostics);
    io.stdout.write(renderPlan(plan, stdout));
    if (!hasChanges(plan)) return planningFailed ? 1 : 0;

    // Ask, unless approved beforehand; only `yes` goes on.
    if (!approved) {
      const destructive = plan.changes.some((change) => change.destructive) ? ' Destructive changes drop schemas with every table in them.' : '';
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
    });
    printDiagnostics(io, options, result.diagnostics);
    io.stdout.write(`\n${renderApplyResult(result, stdout)}`);
    return planningFailed || result.diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
  } finally {
    await run.close();
  }
}
