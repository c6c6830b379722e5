import type { DestinationState, State } from '../state/state.ts';
import { plainPalette, type Palette } from './palette.ts';

/** The state as a person reads it: where it is, its serial, and a block per destination. */
export function renderState(
  state: State | undefined,
  location: string,
  palette: Palette = plainPalette,
): string {
  if (!state || Object.keys(state.destinations).length === 0) {
    return `No destinations in state (${location}). Run \`pgdest apply\` to create them.\n`;
  }
  const names = Object.keys(state.destinations).sort();
  const header = palette.dim(
    `# state ${location}, serial ${state.serial}, lineage ${state.lineage}`,
  );
  return `${[header, '', ...names.flatMap((name) => [...renderStateEntry(name, state.destinations[name]!, palette), ''])].join('\n')}`;
}

export function renderStateEntry(
  name: string,
  entry: DestinationState,
  palette: Palette = plainPalette,
): string[] {
  const rows: [string, string][] = [
    ['bastion', entry.bastion ? `${entry.bastion.endpoint} (${entry.bastion.name})` : '(direct)'],
    ...(entry.bastion?.hostKey ? [['host_key', entry.bastion.hostKey] as [string, string]] : []),
    ['database', `${entry.database.host}:${entry.database.port}/${entry.database.name}`],
    ['user', entry.database.user],
    ['schema', entry.schema.requested],
    ['effective_schema', entry.schema.effective + (entry.schema.fallback ? ' (fallback)' : '')],
    ['privileges', entry.privileges.join(', ')],
    ['admin', entry.admin?.user ?? '(none)'],
    ['on_delete', entry.onDelete],
    ['server_version', entry.serverVersion],
    ['applied_at', entry.appliedAt],
  ];
  const width = Math.max(...rows.map(([key]) => key.length));
  return [
    palette.bold(`# destination.${name}`),
    ...rows.map(([key, value]) => `  ${key.padEnd(width)} = ${value}`),
  ];
}
