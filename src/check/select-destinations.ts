import type { Config } from '../config/model.ts';
import { errorDiagnostic, type Diagnostic } from '../diagnostics/diagnostic.ts';
import { suggestion } from '../diagnostics/did-you-mean.ts';

/**
 * The destinations to check: the named ones (`NAME` arguments and
 * `--target`, with or without `destination.`), in the configuration's order,
 * or every destination when none is named. An unknown name is an error with
 * a did-you-mean, and then nothing is checked.
 */
export function selectDestinations(
  config: Config,
  requested: readonly string[],
): { names: string[]; diagnostics: Diagnostic[] } {
  const known = [...config.destinations.keys()];
  const wanted = new Set(requested.map((name) => name.replace(/^destination\./, '')));
  if (wanted.size === 0) return { names: known, diagnostics: [] };

  const diagnostics = [...wanted]
    .filter((name) => !config.destinations.has(name))
    .map((name) =>
      errorDiagnostic(`Unknown destination "${name}"`, {
        detail: 'The configuration declares no destination of that name.',
        hint:
          suggestion(name, known) ??
          (known.length === 0
            ? 'The configuration declares no destinations.'
            : `The destinations are ${known.join(', ')}.`),
      }),
    );
  return {
    names: diagnostics.length > 0 ? [] : known.filter((name) => wanted.has(name)),
    diagnostics,
  };
}
