import type { Destination } from '../config/model.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import type { ActualDestination } from './actual.ts';
import type { Step } from './plan.ts';
import { describeStep, quoteIdentifier } from './step-sql.ts';

/**
 * What the loader's role needs before it can reach its schema at all: to
 * exist, to log in with the configured password, and CONNECT and CREATE on
 * the database. An admin may repair all of it; without one, a role that may
 * not log in is an error. A login refused for another reason (pg_hba.conf,
 * say) is an error either way. These steps concern the role and the
 * database, not one destination, so destinations that share the loader
 * share them (see share-loader-steps.ts).
 */
export function planLoaderAccess(
  desired: Destination,
  actual: ActualDestination,
): { steps: Step[]; reasons: string[]; diagnostics: Diagnostic[] } {
  const loader = desired.database.user;
  const steps: Step[] = [];
  const reasons: string[] = [];

  if (actual.loader.exists && !actual.loader.canLogin && !desired.admin) {
    return { steps, reasons, diagnostics: [loginError(desired)] };
  }
  if (!desired.admin) return { steps, reasons, diagnostics: [] };

  // The loader's own login, tried beside the admin's: only a wrong password
  // (or NOLOGIN, which the password got past) is the admin's to repair.
  const login = actual.loader.exists ? actual.loader.login : undefined;
  const passwordRefused =
    login?.kind === 'refused' &&
    login.reason === 'password' &&
    desired.database.password !== undefined;
  if (login?.kind === 'refused' && !passwordRefused) {
    const nologin = login.reason === 'not-permitted' && !actual.loader.canLogin;
    if (!nologin) {
      const diagnostics = login.diagnostics.map((d) => ({ ...d, address: desired.address }));
      return { steps, reasons, diagnostics };
    }
  }

  // The role itself: created with LOGIN, or given LOGIN back, and the
  // configured password when PostgreSQL refused it.
  if (!actual.loader.exists) {
    steps.push(
      describeStep({
        kind: 'create-role',
        as: 'admin',
        role: loader,
        withPassword: desired.database.password !== undefined,
      }),
    );
  } else if (!actual.loader.canLogin) {
    steps.push(describeStep({ kind: 'alter-role', as: 'admin', role: loader }));
  }
  if (passwordRefused) {
    steps.push(describeStep({ kind: 'set-password', as: 'admin', role: loader }));
  }

  // Its privileges on the database; a role about to be created holds none.
  for (const privilege of ['CONNECT', 'CREATE'] as const) {
    const held =
      actual.loader.exists && actual.database[privilege === 'CONNECT' ? 'connect' : 'create'];
    if (held) continue;
    steps.push(
      describeStep({
        kind: 'grant',
        as: 'admin',
        privilege,
        on: 'database',
        object: actual.database.name,
        role: loader,
      }),
    );
  }
  for (const step of steps) {
    const reason = reasonForLoaderStep(step, actual.loader.exists);
    if (reason) reasons.push(reason);
  }
  return { steps, reasons, diagnostics: [] };
}

/**
 * Why a loader step is planned, as the plan says it; undefined for the
 * grants to a role being created, which the role's own reason covers.
 */
export function reasonForLoaderStep(step: Step, roleExists: boolean): string | undefined {
  if (step.kind === 'create-role') return `role "${step.role}" does not exist`;
  if (step.kind === 'alter-role') return `role "${step.role}" may not log in (NOLOGIN)`;
  if (step.kind === 'set-password')
    return `role "${step.role}" cannot log in with the configured password`;
  if (step.kind === 'grant' && step.on === 'database' && roleExists)
    return `${step.role} lacks ${step.privilege} on database "${step.object}"`;
  return undefined;
}

/** Whether a step concerns the loader's role or the database, rather than one schema. */
export function isLoaderStep(step: Step): boolean {
  return (
    step.kind === 'create-role' ||
    step.kind === 'alter-role' ||
    step.kind === 'set-password' ||
    (step.kind === 'grant' && step.on === 'database')
  );
}

function loginError(desired: Destination): Diagnostic {
  const loader = desired.database.user;
  return {
    severity: 'error',
    summary: `Role "${loader}" may not log in`,
    detail: `Role "${loader}" exists but has NOLOGIN, so the pipeline cannot connect as it, and pgdest cannot change that without an admin login.`,
    hint: `Ask an administrator to run: ALTER ROLE ${quoteIdentifier(loader)} LOGIN; or give the destination an admin login.`,
    address: desired.address,
    code: 'login-refused',
  };
}
