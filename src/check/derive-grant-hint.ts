import type { Privilege } from '../config/model.ts';
import type { SchemaFacts } from '../plan/actual.ts';
import { quoteIdentifier } from '../plan/step-sql.ts';
import type { CheckError } from './check-report.ts';

/** What is known about one privilege that failed or could not be tried. */
export interface FailureEvidence {
  loader: string;
  /** The catalog's facts about the schema the probe ran in. */
  schema: SchemaFacts;
  privilege: Privilege;
  /** PostgreSQL's answer; absent when the step was not tried for want of a table. */
  error?: CheckError;
  /** Whether CREATE is among the declared privileges. */
  createDeclared: boolean;
}

/** Why a privilege failed, and what would fix it. */
export interface FailureExplanation {
  reason: string;
  /** The statement an administrator would run, when one would fix it. */
  grant?: string;
  hint: string;
}

/**
 * Works out why a privilege failed from the catalog's facts and PostgreSQL's
 * answer, and the GRANT that fixes it. The facts decide first: without USAGE
 * on the schema nothing in it can be reached, and without CREATE no table
 * can be made; PostgreSQL's SQLSTATE explains the rest (a read-only server,
 * a lock or statement timeout, ownership).
 */
export function deriveGrantHint(evidence: FailureEvidence): FailureExplanation {
  const { loader, schema, privilege, error } = evidence;
  const on = `schema "${schema.name}"`;
  const grantOn = (privileges: string) =>
    `GRANT ${privileges} ON SCHEMA ${quoteIdentifier(schema.name)} TO ${quoteIdentifier(loader)};`;

  // The schema's own privileges, as the catalog shows them.
  if (!schema.usage && privilege === 'CREATE' && !schema.create) {
    const grant = grantOn('USAGE, CREATE');
    return {
      reason: `${loader} lacks USAGE and CREATE on ${on}.`,
      grant,
      hint: askToRun(schema, loader, grant),
    };
  }
  if (!schema.usage && privilege !== 'CREATE') {
    const grant = grantOn('USAGE');
    return {
      reason: `${loader} lacks USAGE on ${on}, so it cannot reach any table in it.`,
      grant,
      hint: askToRun(schema, loader, grant),
    };
  }
  if (!schema.create && privilege === 'CREATE') {
    const grant = grantOn('CREATE');
    return {
      reason: `${loader} lacks CREATE on ${on}, so it cannot create tables in it.`,
      grant,
      hint: askToRun(schema, loader, grant),
    };
  }

  // A step that never ran: the throwaway table could not be created.
  if (error === undefined) {
    if (evidence.createDeclared) {
      return {
        reason: 'There is no table to try it on, since creating one failed.',
        hint: 'Fix CREATE first, then check again.',
      };
    }
    const grant = grantOn('CREATE');
    return {
      reason: `check tries it on a throwaway table, and ${loader} could not create one (CREATE is not among the declared privileges).`,
      hint: `For check to prove it, ${loader} needs CREATE on ${on}: ${grant}`,
    };
  }

  // PostgreSQL refused although the schema's privileges are in place.
  return explainRefusal(evidence, error);
}

function explainRefusal(
  { loader, schema, privilege }: FailureEvidence,
  error: CheckError,
): FailureExplanation {
  const said = error.hint === undefined ? '' : ` PostgreSQL suggests: ${error.hint}`;
  switch (error.code) {
    case '42501':
      if (/must be owner/i.test(error.message)) {
        return {
          reason: `Only a table's owner may ${privilege === 'DROP' ? 'drop' : 'alter'} it, and ${loader} did not end up owning the table it created.`,
          hint: `Look for an event trigger or a policy that hands new tables in schema "${schema.name}" to another role.${said}`,
        };
      }
      return {
        reason: `PostgreSQL refused it although the catalog shows USAGE and CREATE on schema "${schema.name}".`,
        hint: `Something beyond the schema's privileges denies it, such as an event trigger or a row-level security policy; ask an administrator to look at the error.${said}`,
      };
    case '25006':
      return {
        reason: 'The server is read-only: it is a standby, or default_transaction_read_only is on.',
        hint: `Point the destination's database.host at the primary.${said}`,
      };
    case '55P03':
      return {
        reason: 'A lock was not granted within the lock timeout: the database is busy.',
        hint: 'Check again in a moment; pg_locks shows who holds the lock.',
      };
    case '57014':
      return {
        reason: 'The statement ran past the statement timeout.',
        hint: 'Check again in a moment; the server is busy or slow.',
      };
    default:
      return {
        reason: `PostgreSQL refused it${error.code === undefined ? '' : ` (SQLSTATE ${error.code})`}.`,
        hint: `Read PostgreSQL's answer above; ask an administrator when it is about privileges.${said}`,
      };
  }
}

/**
 * Who may run a GRANT on a schema: its owner (the loader itself, when it owns
 * the schema and revoked its own privileges) or a superuser.
 */
function askToRun(schema: SchemaFacts, loader: string, grant: string): string {
  if (schema.owner === loader)
    return `${loader} owns schema "${schema.name}" and may restore it itself, or a superuser may: ${grant}`;
  if (schema.owner !== undefined)
    return `Ask "${schema.owner}", who owns schema "${schema.name}", or a superuser to run: ${grant}`;
  return `Ask an administrator to run: ${grant}`;
}
