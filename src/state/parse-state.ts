import { allPrivileges, type OnDelete, type Privilege } from '../config/model.ts';
import { errorDiagnostic, UserError } from '../diagnostics/diagnostic.ts';
import { stateFormatVersion } from './serialize-state.ts';
import { isRecord, ShapeReader } from './shape-reader.ts';
import type { BastionState, DestinationState, State } from './state.ts';

/**
 * Reads the text of a state file. Invalid JSON, a wrong shape, an unknown key
 * or an unknown `format_version` is a UserError whose diagnostic names `file`
 * and says how to recover. Unknown keys are refused rather than dropped, so
 * that rewriting a file never loses what a person or a newer pgdest put there.
 *
 * `previous` says where the version before this one is kept, for the hint:
 * `FILE.backup` unless given (the PostgreSQL store keeps it in a column).
 */
export function parseState(text: string, file: string, previous = `${file}.backup`): State {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new UserError(
      errorDiagnostic('State file is not valid JSON', {
        detail: `${file} could not be read as JSON (${describeJsonError(text, error)}). It may have been edited by hand or damaged.`,
        hint: `Restore the previous version from ${previous} after checking it, or fix the file by hand.`,
      }),
    );
  }

  checkFormatVersion(document, file, previous);
  const reader = new ShapeReader();
  const state = readState(reader, document);
  if (reader.problems.length > 0) {
    throw new UserError(
      errorDiagnostic('State file has an unexpected shape', {
        detail: `${file} is JSON but not a pgdest state: ${reader.problems.slice(0, 5).join('; ')}.`,
        hint: `Restore the previous version from ${previous} after checking it, or fix the file by hand.`,
      }),
    );
  }
  return state;
}

function checkFormatVersion(document: unknown, file: string, previous: string): void {
  const version = isRecord(document) ? document.format_version : undefined;
  if (version === stateFormatVersion) return;

  if (typeof version === 'number' && version > stateFormatVersion) {
    throw new UserError(
      errorDiagnostic('State file is from a newer pgdest', {
        detail: `${file} has format_version ${version}, and this pgdest reads only format_version ${stateFormatVersion}.`,
        hint: 'Upgrade pgdest to the version that wrote this state; do not edit the file to lower its version.',
      }),
    );
  }
  throw new UserError(
    errorDiagnostic('State file format is not supported', {
      detail: `${file} has format_version ${JSON.stringify(version) ?? '(missing)'}, and this pgdest reads only format_version ${stateFormatVersion}.`,
      hint: `Check that ${file} is a pgdest state file; restore ${previous} if it was damaged.`,
    }),
  );
}

function readState(reader: ShapeReader, document: unknown): State {
  const top = reader.object(document, '', ['format_version', 'lineage', 'serial', 'destinations']);
  const destinations: Record<string, DestinationState> = {};
  const entries = reader.object(top.destinations, 'destinations');
  for (const [name, value] of Object.entries(entries)) {
    destinations[name] = readDestination(reader, value, `destinations.${name}`);
  }
  return {
    lineage: reader.text(top.lineage, 'lineage'),
    serial: reader.integer(top.serial, 'serial', 0),
    destinations,
  };
}

function readDestination(reader: ShapeReader, value: unknown, path: string): DestinationState {
  const keys = [
    'bastion',
    'database',
    'schema',
    'privileges',
    'admin',
    'on_delete',
    'server_version',
    'applied_at',
  ];
  const entry = reader.object(value, path, keys);
  const database = reader.object(entry.database, `${path}.database`, [
    'host',
    'port',
    'name',
    'user',
    'password_from',
  ]);
  const schema = reader.object(entry.schema, `${path}.schema`, [
    'requested',
    'effective',
    'fallback',
  ]);
  const state: DestinationState = {
    bastion: entry.bastion === null ? null : readBastion(reader, entry.bastion, `${path}.bastion`),
    database: {
      host: reader.text(database.host, `${path}.database.host`),
      port: reader.integer(database.port, `${path}.database.port`, 1, 65535),
      name: reader.text(database.name, `${path}.database.name`),
      user: reader.text(database.user, `${path}.database.user`),
      ...present(
        'passwordFrom',
        reader.optionalText(database.password_from, `${path}.database.password_from`),
      ),
    },
    schema: {
      requested: reader.text(schema.requested, `${path}.schema.requested`),
      effective: reader.text(schema.effective, `${path}.schema.effective`),
      fallback: reader.boolean(schema.fallback, `${path}.schema.fallback`),
    },
    privileges: reader.list(entry.privileges, `${path}.privileges`, (item, at) =>
      reader.oneOf(item, at, allPrivileges),
    ),
    onDelete: reader.oneOf<OnDelete>(entry.on_delete, `${path}.on_delete`, ['forget', 'drop']),
    serverVersion: reader.text(entry.server_version, `${path}.server_version`),
    appliedAt: reader.timestamp(entry.applied_at, `${path}.applied_at`),
  };
  if (entry.admin !== undefined) {
    const admin = reader.object(entry.admin, `${path}.admin`, ['user', 'password_from']);
    state.admin = {
      user: reader.text(admin.user, `${path}.admin.user`),
      ...present(
        'passwordFrom',
        reader.optionalText(admin.password_from, `${path}.admin.password_from`),
      ),
    };
  }
  return state;
}

function readBastion(reader: ShapeReader, value: unknown, path: string): BastionState {
  const bastion = reader.object(
    value,
    path,
    ['name', 'endpoint', 'host_key'],
    'an object, or null for a direct connection',
  );
  return {
    name: reader.text(bastion.name, `${path}.name`),
    endpoint: reader.text(bastion.endpoint, `${path}.endpoint`),
    ...present('hostKey', reader.optionalText(bastion.host_key, `${path}.host_key`)),
  };
}

// An optional field that is absent is left out rather than set to undefined,
// so that a parsed state compares equal to the state that was serialized.
function present<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

// V8 reports where parsing stopped as a character offset; a line and column
// are easier to find in an editor.
function describeJsonError(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const offset = /at position (\d+)/.exec(message)?.[1];
  if (offset === undefined) return message;
  const before = text.slice(0, Number(offset)).split('\n');
  return `${message.replace(/ in JSON at position \d+.*/, '')} at line ${before.length}, column ${before.at(-1)!.length + 1}`;
}
