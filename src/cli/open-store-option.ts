import type { Config } from '../config/model.ts';
import { openStateStore } from '../state/open-state-store.ts';
import type { StateStore } from '../state/state-store.ts';
import type { CommandContext } from './command.ts';
import { createLogger } from './create-logger.ts';
import { systemEnvironment } from '../config/load-config.ts';
import { TunnelPool } from '../tunnel/tunnel-pool.ts';
import { loadConfigOption } from './load-config-option.ts';
import { paletteFor } from './output.ts';
import { UserError } from '../diagnostics/diagnostic.ts';

/**
 * The state store of the config, for commands that read or edit state
 * without planning. The config is loaded offline: only the state section
 * matters here, and a missing destination secret must not stop `state list`.
 * The postgres backend reaches its database through the config's bastions.
 */
export function openStoreOption({ io, options }: CommandContext): {
  config: Config;
  store: StateStore;
  close(): Promise<void>;
} {
  const { config, diagnostics } = loadConfigOption(io, options, 'offline');
  if (!config) throw new UserError(diagnostics);
  // The state database's own secrets are needed now; the destinations' are not.
  const stateSecrets = diagnostics.filter((d) => d.source?.path.startsWith('state.'));
  if (config.state.backend === 'postgres' && stateSecrets.length > 0) {
    throw new UserError(stateSecrets.map((d) => ({ ...d, severity: 'error' as const })));
  }
  const logger = createLogger(io, options.verbose === true, paletteFor(io, options, 'stderr'));
  const tunnels = new TunnelPool(config.bastions, {
    logger,
    homeDir: systemEnvironment(io.env).homeDir,
    agentSocket: io.env.SSH_AUTH_SOCK,
  });
  const store = openStateStore(config.state, { logger, tunnels });
  return {
    config,
    store,
    async close() {
      await store.close();
      await tunnels.close();
    },
  };
}
