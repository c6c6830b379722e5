import { resolve } from 'node:path';
import { loadConfig, systemEnvironment, type LoadResult } from '../config/load-config.ts';
import type { Config } from '../config/model.ts';
import type { SecretMode } from '../config/resolve-secret.ts';
import { UserError } from '../diagnostics/diagnostic.ts';
import type { OptionValues } from './command.ts';
import type { Io } from './io.ts';
import { printDiagnostics } from './output.ts';

export const defaultConfigFile = 'pgdest.yaml';

/** Loads the config that `-c` names, or pgdest.yaml in the working folder. */
export function loadConfigOption(io: Io, options: OptionValues, mode: SecretMode): LoadResult {
  const target = typeof options.config === 'string' ? options.config : defaultConfigFile;
  return loadConfig(resolve(io.cwd, target), { mode, environment: systemEnvironment(io.env) });
}

/**
 * Loads the config for a command that connects: a secret that cannot be read
 * is an error. Warnings are printed; errors stop the command.
 */
export function loadConfigForRun(io: Io, options: OptionValues): Config {
  const { config, diagnostics } = loadConfigOption(io, options, 'connect');
  if (!config) throw new UserError(diagnostics);
  printDiagnostics(io, options, diagnostics);
  return config;
}
