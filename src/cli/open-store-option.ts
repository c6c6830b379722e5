import type { Config } from '../config/model.ts';
import { openStateStore } from '../state/open-state-store.ts';
import type { StateStore } from '../state/state-store.ts';
import type { CommandContext } from './command.ts';
import { createLogger } from './create-logger.ts';
import { loadConfigOption } from './load-config-option.ts';
import { paletteFor, printDiagnostics } from './output.ts';
import { UserError } from '../diagnostics/diagnostic.ts';

/**
 * The state store of the config, for commands that read or edit state
 * without planning. The config is loaded offline: only the state section
 * matters here, and a missing destination secret must not stop `state list`.
 */
export function openStoreOption({ io, options }: CommandContext): { config: Config; store: StateStore } {
  const { config, diagnostics } = loadConfigOption(io, options, 'offline');
  if (!config) throw new UserError(diagnostics);
  printDiagnostics(io, options, diagnostics.filter((d) => d.severity === 'error'));
  const logger = createLogger(io, options.verbose === true, paletteFor(io, options, 'stderr'));
  return { config, store: openStateStore(config.state, logger) };
}
