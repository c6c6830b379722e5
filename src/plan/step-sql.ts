import type { Step } from './plan.ts';

/** Quotes an identifier for PostgreSQL: always, so that no name is ever read as SQL. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes a string literal, standard_conforming_strings style. */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

type StepWithoutSql<T> = T extends Step ? Omit<T, 'sql'> : never;

/** A step with its display SQL, where a password reads `(sensitive)`. */
export function describeStep(step: StepWithoutSql<Step>): Step {
  return { ...step, sql: renderStepSql(step) } as Step;
}

/**
 * The SQL of a step. Without `password` it is the display form; apply passes
 * the password's SCRAM verifier to get the statement it runs, which is never
 * printed.
 */
export function renderStepSql(step: StepWithoutSql<Step>, password?: string): string {
  switch (step.kind) {
    case 'create-role': {
      if (!step.withPassword) return `CREATE ROLE ${quoteIdentifier(step.role)} LOGIN`;
      return `CREATE ROLE ${quoteIdentifier(step.role)} LOGIN PASSWORD ${password === undefined ? '(sensitive)' : quoteLiteral(password)}`;
    }
    case 'alter-role':
      return `ALTER ROLE ${quoteIdentifier(step.role)} LOGIN`;
    case 'set-password':
      return `ALTER ROLE ${quoteIdentifier(step.role)} PASSWORD ${password === undefined ? '(sensitive)' : quoteLiteral(password)}`;
    case 'create-schema':
      return step.owner === undefined
        ? `CREATE SCHEMA ${quoteIdentifier(step.schema)}`
        : `CREATE SCHEMA ${quoteIdentifier(step.schema)} AUTHORIZATION ${quoteIdentifier(step.owner)}`;
    case 'grant':
      return `GRANT ${step.privilege} ON ${step.on === 'database' ? 'DATABASE' : 'SCHEMA'} ${quoteIdentifier(step.object)} TO ${quoteIdentifier(step.role)}`;
    case 'drop-schema':
      return `DROP SCHEMA IF EXISTS ${quoteIdentifier(step.schema)} CASCADE`;
  }
}
