import { checkDestinations } from '../check/check-destinations.ts';
import { isReportReady } from '../check/check-report.ts';
import { readPriorState } from '../check/read-prior-state.ts';
import { selectDestinations } from '../check/select-destinations.ts';
import { systemEnvironment } from '../config/load-config.ts';
import { SessionPool } from '../database/session-pool.ts';
import { UserError } from '../diagnostics/diagnostic.ts';
import { renderCheck } from '../render/render-check.ts';
import { toCheckJson } from '../render/render-check-json.ts';
import { renderCheckMarkdown } from '../render/render-check-markdown.ts';
import { TunnelPool } from '../tunnel/tunnel-pool.ts';
import { commonOptions, formatOption, type Command } from './command.ts';
import { createLogger } from './create-logger.ts';
import { loadConfigForRun } from './load-config-option.ts';
import { paletteFor, printDiagnostics, writeJson } from './output.ts';
import { createProgressReporter } from './progress-reporter.ts';
import { connectOptions, readRunOptions } from './run-options.ts';

export const checkCommand: Command = {
  name: 'check',
  summary:
    'Prove that each loader can reach its database and use every declared privilege; changes nothing',
  usage:
    'pgdest check [NAME...] [-c PATH] [--target NAME]... [--parallelism N] [--format human|json|markdown]',
  description:
    "Logs in as each destination's loader (never the admin) through its bastions, timing every hop, finds the effective schema (the declared one, or public after the documented fallback), and proves each declared privilege by using it: it creates a throwaway table, alters it, inserts, selects and deletes a row and drops it, in a transaction that is always rolled back. A privilege that fails comes with PostgreSQL's answer and the GRANT that fixes it; tables in the schema the loader does not own are listed. Nothing is created and no state is written. Names limit the check to those destinations. Exits 0 when every destination proves every declared privilege, 1 otherwise.",
  options: {
    ...commonOptions,
    target: connectOptions.target!,
    parallelism: connectOptions.parallelism!,
    format: formatOption(['human', 'json', 'markdown']),
  },
  maxPositionals: Number.POSITIVE_INFINITY,
  async run({ io, options, positionals }) {
    const runOptions = readRunOptions(options);
    const config = loadConfigForRun(io, options);
    const selection = selectDestinations(config, [...positionals, ...runOptions.targets]);
    if (selection.diagnostics.length > 0) throw new UserError(selection.diagnostics);

    const logger = createLogger(io, options.verbose === true, paletteFor(io, options, 'stderr'));
    const environment = systemEnvironment(io.env);
    const tunnels = new TunnelPool(config.bastions, {
      logger,
      homeDir: environment.homeDir,
      agentSocket: io.env.SSH_AUTH_SOCK,
    });
    const sessions = new SessionPool(tunnels, { logger });
    try {
      // State only to compare the effective schema with; read without a lock, never written.
      const { prior, diagnostics: stateDiagnostics } = await readPriorState(config, {
        logger,
        tunnels,
      });
      const progress = createProgressReporter(io, config, paletteFor(io, options, 'stderr'));
      const checked = await checkDestinations(config, selection.names, {
        sessions,
        parallelism: runOptions.parallelism,
        logger,
        onProgress: progress.listener,
        ...(prior !== undefined && { prior }),
      }).finally(() => progress.finish());
      const report = { ...checked, diagnostics: [...stateDiagnostics, ...checked.diagnostics] };

      printDiagnostics(io, options, [
        ...report.diagnostics,
        ...report.destinations.flatMap((destination) => destination.diagnostics),
      ]);
      if (options.format === 'json') writeJson(io, toCheckJson(report));
      else if (options.format === 'markdown') io.stdout.write(renderCheckMarkdown(report));
      else io.stdout.write(renderCheck(report, paletteFor(io, options, 'stdout')));
      return isReportReady(report) ? 0 : 1;
    } finally {
      await sessions.close();
    }
  },
};
