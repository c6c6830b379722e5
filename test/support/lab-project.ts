import { mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseState } from '../../src/state/parse-state.ts';
import type { State } from '../../src/state/state.ts';
import { writeLabConfig, type LabDestination } from './lab-config.ts';
import type { Lab } from './start-lab.ts';

/** A folder of its own in the lab for one test's config and state, with the config written. */
export async function createLabProject(
  lab: Lab,
  destinations: Record<string, LabDestination>,
): Promise<string> {
  const dir = await mkdtemp(join(lab.dir, 'project-'));
  await writeLabConfig(lab, destinations, { dir });
  return dir;
}

/** The local state of a project, parsed. */
export async function readProjectState(dir: string): Promise<State> {
  const path = join(dir, '.pgdest/state.json');
  return parseState(await readFile(path, 'utf8'), path);
}

/** Whether the lab's database holds a schema of that name. */
export async function schemaExists(
  lab: Lab,
  name: string,
  database = 'postgres',
): Promise<boolean> {
  const result = await lab.postgres.query(
    'SELECT 1 FROM pg_namespace WHERE nspname = $1',
    [name],
    database,
  );
  return result.rowCount === 1;
}

/** A destination of the lab's `loader` role, its password in LOADER_PASSWORD. */
export function loaderDestination(
  schema: string,
  extra: Partial<LabDestination> = {},
): LabDestination {
  return { user: 'loader', passwordEnv: 'LOADER_PASSWORD', schema, ...extra };
}
