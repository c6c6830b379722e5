import type { Config } from '../config/model.ts';
import { warningDiagnostic, type Diagnostic } from '../diagnostics/diagnostic.ts';
import type { Logger } from '../diagnostics/logger.ts';
import { openStateStore } from '../state/open-state-store.ts';
import type { State } from '../state/state.ts';
import type { TunnelPool } from '../tunnel/tunnel-pool.ts';

/**
 * Reads the prior state for check, without taking the lock: check changes
 * nothing and writes no state, and only compares the effective schema with
 * what state recorded. Each backend replaces its state atomically, so a
 * concurrent apply is seen before or after, never half way. State that
 * cannot be read is a warning, not a reason to stop checking.
 */
export async function readPriorState(
  config: Config,
  options: { logger: Logger; tunnels: TunnelPool },
): Promise<{ prior?: State; diagnostics: Diagnostic[] }> {
  let store: ReturnType<typeof openStateStore> | undefined;
  try {
    store = openStateStore(config.state, { logger: options.logger, tunnels: options.tunnels });
    const prior = await store.read();
    return { ...(prior !== undefined && { prior }), diagnostics: [] };
  } catch (error) {
    const said =
      (error as { diagnostics?: Diagnostic[] }).diagnostics?.[0]?.summary ??
      (error as Error).message;
    return {
      diagnostics: [
        warningDiagnostic('Cannot read the state', {
          detail: `check compares the effective schema with what state recorded, and reading ${store?.location ?? 'the state'} failed: ${said}.`,
          hint: 'The privileges are checked all the same; run pgdest plan to see what is wrong with the state.',
        }),
      ],
    };
  } finally {
    await store?.close().catch(() => {});
  }
}
