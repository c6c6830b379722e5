import { toDiagnosticJson } from '../render/diagnostics-json.ts';
import { renderDiagnosticCounts } from '../render/render-diagnostics.ts';
import { commonOptions, formatOption, type Command } from './command.ts';
import { loadConfigOption } from './load-config-option.ts';
import { paletteFor, printDiagnostics, writeJson } from './output.ts';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'Check the config offline; no connection is made',
  usage: 'pgdest validate [-c PATH] [--format human|json]',
  description:
    'Reads the config, checks it against schemas/pgdest.schema.json and the rules beyond it, and reports every problem at once with its file, line and column. A secret whose variable or file is missing is a warning here; commands that connect treat it as an error. Exits 0 when the config is valid (warnings allowed), 1 otherwise.',
  options: { ...commonOptions, format: formatOption(['human', 'json']) },
  maxPositionals: 0,
  async run({ io, options }) {
    const { config, diagnostics } = loadConfigOption(io, options, 'offline');
    const valid = config !== undefined;

    if (options.format === 'json') {
      writeJson(io, {
        format_version: 1,
        valid,
        error_count: diagnostics.filter((d) => d.severity === 'error').length,
        warning_count: diagnostics.filter((d) => d.severity === 'warning').length,
        diagnostics: diagnostics.map(toDiagnosticJson),
      });
      return valid ? 0 : 1;
    }

    printDiagnostics(io, options, diagnostics);
    const palette = paletteFor(io, options, 'stdout');
    if (config) {
      const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
      const warnings = diagnostics.length ? ` (${count(diagnostics.length, 'warning')})` : '';
      io.stdout.write(
        `${palette.green('The configuration is valid')}: ${count(config.bastions.size, 'bastion')}, ${count(config.destinations.size, 'destination')}${warnings}.\n`,
      );
    } else {
      io.stderr.write(
        `${palette.red('The configuration is not valid')}: ${renderDiagnosticCounts(diagnostics)}\n`,
      );
    }
    return valid ? 0 : 1;
  },
};
