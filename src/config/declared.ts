import type { ConfigSource, YamlPath } from './config-source.ts';
import type * as Raw from './schema-types.ts';

/** A bastion, destination or state section as declared in one file, defaults filled in. */
export interface Declared<T> {
  name: string;
  raw: T;
  /** Where it lives: `['destinations', 'warehouse']`. */
  path: YamlPath;
  source: ConfigSource;
  /** False when the schema found a problem inside it: the model leaves it out, the rules mind its types. */
  valid: boolean;
}

/** Everything the files declare, merged. */
export interface Declarations {
  bastions: Map<string, Declared<Raw.Bastion>>;
  destinations: Map<string, Declared<Raw.Destination>>;
  state?: Declared<Raw.StateSettings>;
}
