import { resolve } from 'node:path';
import { loadConfig, systemEnvironment, type LoadResult } from '../config/load-config.ts';
import type { SecretMode } from '../config/resolve-secret.ts';
import type { OptionValues } from './command.ts';
import type { Io } from './io.ts';

export const defaultConfigFile = 'pgdest.yaml';

/** Loads the config that `-c` names, or pgdest.yaml in the working folder. */
export function loadConfigOption(io: Io, options: OptionValues, mode: SecretMode): LoadResult {
  const target = typeof options.config === 'string' ? options.config : defaultConfigFile;
  return loadConfig(resolve(io.cwd, target), { mode, environment: systemEnvironment(io.env) });
}
