import type { DatabaseEndpoint } from '../config/model.ts';
import { secretFromOrigin } from '../config/secret-from-origin.ts';
import type { SessionTarget } from '../database/session-pool.ts';
import { errorDiagnostic, UserError } from '../diagnostics/diagnostic.ts';
import type { Change } from '../plan/plan.ts';
import type { ApplyContext } from './apply-plan.ts';

/**
 * Runs a deletion's DROP SCHEMA. The config may no longer declare the
 * destination, so the session is rebuilt from state: its endpoint, its
 * bastion by name, and its password read again from where state says it
 * comes from.
 */
export async function runDeletion(change: Change, context: ApplyContext): Promise<void> {
  const target = deletionTarget(change, context);
  const session = await context.sessions.open(target);
  for (const step of change.steps) {
    await session.exclusive((client) => client.query(step.sql));
  }
}

function deletionTarget(change: Change, context: ApplyContext): SessionTarget {
  const declared = context.config.destinations.get(change.name);
  const asAdmin = change.steps.some((step) => step.as === 'admin');
  if (declared) {
    return {
      bastion: declared.bastion,
      endpoint: declared.database,
      login: asAdmin ? declared.admin : undefined,
    };
  }

  const entry = context.recorder.state.destinations[change.name];
  if (!entry) throw new Error(`${change.address} is not in state`);
  const bastion = entry.bastion?.name;
  if (bastion !== undefined && !context.config.bastions.has(bastion)) {
    throw new UserError(
      errorDiagnostic(`Bastion "${bastion}" is no longer declared`, {
        detail: `${change.address} was reached through bastion "${bastion}", which the config no longer declares, so pgdest cannot reach its database to drop schema "${entry.schema.effective}".`,
        hint: `Declare the bastion again for this apply, or run \`pgdest state rm ${change.name}\` to forget the destination without dropping its schema.`,
      }),
    );
  }
  const endpoint: DatabaseEndpoint = {
    host: entry.database.host,
    port: entry.database.port,
    name: entry.database.name,
    user: entry.database.user,
    password: secretFromOrigin(entry.database.passwordFrom, context.environment),
    ssl: 'prefer',
  };
  const login =
    asAdmin && entry.admin
      ? {
          user: entry.admin.user,
          password: secretFromOrigin(entry.admin.passwordFrom, context.environment),
        }
      : undefined;
  return { bastion, endpoint, login };
}
