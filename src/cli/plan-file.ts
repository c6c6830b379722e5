import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errorDiagnostic, UserError } from '../diagnostics/diagnostic.ts';
import type { PlanDocument } from '../plan/plan-document.ts';
import { validatePlanDocument } from '../plan/validate-plan-document.ts';

/**
 * Saves a plan document: mode 0600 from the start, written to a new file that
 * replaces the old one only once complete, so that a half-written plan never
 * reaches a review or an apply.
 */
export async function writePlanFile(path: string, document: PlanDocument): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const file = await open(temporary, 'w', 0o600);
  try {
    await file.writeFile(`${JSON.stringify(document, null, 2)}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Reads a saved plan, refusing a file that is not one (or of another format version). */
export async function readPlanFile(path: string): Promise<PlanDocument> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      errorDiagnostic('Plan file not found', {
        detail: `${path} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`}.`,
        hint: 'Save a plan with `pgdest plan -o FILE`, then apply that file.',
      }),
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw notAPlan(path, 'it is not JSON');
  }
  const { document, problem } = validatePlanDocument(value);
  if (!document) throw notAPlan(path, problem ?? 'invalid');
  return document;
}

function notAPlan(path: string, why: string): UserError {
  return new UserError(
    errorDiagnostic('Not a pgdest plan file', {
      detail: `${path} is not a plan this pgdest can read: ${why}.`,
      hint: 'Save a plan with `pgdest plan -o FILE` using the same pgdest version, then apply that file.',
    }),
  );
}
