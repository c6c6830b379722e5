import type { StateSettings } from '../config/model.ts';
import { errorDiagnostic, UserError } from '../diagnostics/diagnostic.ts';
import type { Logger } from '../diagnostics/logger.ts';
import { LocalStateStore } from './local-state-store.ts';
import type { StateStore } from './state-store.ts';

/**
 * The store the configuration's `state` section names. The local path comes
 * already resolved from the configuration (`.pgdest/state.json` beside it
 * unless set).
 */
export function openStateStore(settings: StateSettings, logger: Logger): StateStore {
  if (settings.backend === 'local') return new LocalStateStore({ path: settings.path, logger });

  // TODO: the PostgreSQL backend is not written yet; until it is, a
  // configuration that asks for it cannot plan or apply at all.
  throw new UserError(
    errorDiagnostic('The postgres state backend is not available yet', {
      detail:
        'This version of pgdest keeps state only in a local file; state.backend: postgres is accepted by the configuration but not yet implemented.',
      hint: 'Remove the state section, or set state.backend: local, to keep state in .pgdest/state.json.',
    }),
  );
}
