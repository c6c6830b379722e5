import type pg from 'pg';
import type { Destination } from '../config/model.ts';
import type { Session } from '../database/session-pool.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import type { ActualDestination } from '../plan/actual.ts';
import type { Change, Step } from '../plan/plan.ts';
import { quoteIdentifier, renderStepSql } from '../plan/step-sql.ts';
import { scramVerifier } from '../database/scram-verifier.ts';

/*
 * A fixed class id for pgdest's advisory locks, with a hash of the database's name as
 * the object id: concurrent GRANTs on one object fail with "tuple
 * concurrently updated", so every pgdest run takes this lock around its
 * grants to a database, whichever process it is.
 */
const grantLockClass = 0x70676474; // 'pgdt'
const grantLockSql = `SELECT pg_advisory_xact_lock(${grantLockClass}, hashtext(current_database()));`;

/** SQLSTATEs apply handles itself. */
const insufficientPrivilege = '42501';
const duplicateSchema = '42P06';

export interface StepsOutcome {
  /** The schema the loader writes into once the steps ran. */
  effectiveSchema: string;
  diagnostics: Diagnostic[];
}

/**
 * Runs a change's steps on the destination's session. An admin's steps run in
 * one transaction under the per-database grant lock. A loader that may not
 * create its schema after all falls back to public, as documented, when the
 * config and the observed privileges allow it.
 */
export async function runSteps(
  change: Change,
  destination: Destination,
  actual: ActualDestination,
  session: Session,
): Promise<StepsOutcome> {
  const effectiveSchema = change.after!.effective_schema;
  const adminSteps = change.steps.filter((step) => step.as === 'admin');
  const loaderSteps = change.steps.filter((step) => step.as === 'loader');

  if (adminSteps.length > 0) {
    await session.exclusive((client) => runInTransaction(client, adminSteps, destination));
  }
  for (const step of loaderSteps) {
    try {
      await session.exclusive((client) => client.query(executableSql(step, destination)));
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (step.kind === 'create-schema' && code === duplicateSchema) continue;
      if (step.kind === 'create-schema' && code === insufficientPrivilege)
        return fallBackAtApplyTime(destination, actual, error);
      throw error;
    }
  }
  return { effectiveSchema, diagnostics: [] };
}

/**
 * Runs the steps of several changes that share a session in one transaction,
 * sent as one message: a round trip for all of them instead of one per
 * statement. Returns false, with nothing changed, when any statement fails;
 * the caller then runs each change on its own with runSteps, which tells the
 * failures apart and handles them. Admin steps take the grant lock first.
 */
export async function runStepsTogether(
  changes: readonly { change: Change; destination: Destination }[],
  session: Session,
): Promise<boolean> {
  const steps = changes.flatMap(({ change, destination }) =>
    change.steps.map((step) => ({ step, destination })),
  );
  if (steps.length === 0) return true;
  const statements = [
    'BEGIN;',
    ...(steps.some(({ step }) => step.as === 'admin') ? [grantLockSql] : []),
    ...steps.map(({ step, destination }) => terminated(executableSql(step, destination))),
    'COMMIT;',
  ];
  return session.exclusive(async (client) => {
    try {
      // A failing statement aborts the transaction and skips the rest, COMMIT included.
      await client.query(statements.join('\n'));
      return true;
    } catch {
      await client.query('ROLLBACK').catch(() => {});
      return false;
    }
  });
}

function terminated(sql: string): string {
  return sql.trimEnd().endsWith(';') ? sql : `${sql};`;
}

async function runInTransaction(
  client: pg.Client,
  steps: Step[],
  destination: Destination,
): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(grantLockSql);
    for (const step of steps) await client.query(executableSql(step, destination));
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/**
 * The statement to run: the display SQL, with the loader's password where it
 * shows `(sensitive)` (in CREATE ROLE or ALTER ROLE), sent as its SCRAM
 * verifier so that the password itself never reaches the server's logs.
 */
function executableSql(step: Step, destination: Destination): string {
  const setsPassword =
    (step.kind === 'create-role' && step.withPassword) || step.kind === 'set-password';
  if (!setsPassword) return step.sql;
  return renderStepSql(step, scramVerifier(destination.database.password!.reveal()));
}

function fallBackAtApplyTime(
  destination: Destination,
  actual: ActualDestination,
  cause: unknown,
): StepsOutcome {
  const publicUsable =
    actual.public.exists &&
    actual.public.usage &&
    (actual.public.create || !destination.privileges.includes('CREATE'));
  if (destination.schemaFallback !== 'public' || !publicUsable) throw cause;
  return {
    effectiveSchema: 'public',
    diagnostics: [
      {
        severity: 'warning',
        summary: 'Fell back to schema public',
        detail: `PostgreSQL refused to let ${destination.database.user} create schema "${destination.schema}" although it looked allowed when planning, so the destination writes into public, as documented.`,
        hint: `To use "${destination.schema}", ask an administrator to run CREATE SCHEMA ${quoteIdentifier(destination.schema)} AUTHORIZATION ${quoteIdentifier(destination.database.user)}; then apply again.`,
      },
    ],
  };
}
