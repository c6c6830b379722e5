import Ajv2020 from 'ajv/dist/2020.js';
import schema from '../../schemas/plan.schema.json' with { type: 'json' };
import type { PlanDocument } from './plan-document.ts';

let validate: ReturnType<Ajv2020.default['compile']> | undefined;

/** Whether `value` is a plan document of this version, with the first problem when not. */
export function validatePlanDocument(value: unknown): {
  document?: PlanDocument;
  problem?: string;
} {
  validate ??= new Ajv2020.default({
    allErrors: false,
    strict: true,
    strictRequired: false,
  }).compile(schema);
  if (validate(value)) return { document: value as PlanDocument };
  const error = validate.errors?.[0];
  return {
    problem: error ? `${error.instancePath || '/'} ${error.message ?? 'is invalid'}` : 'invalid',
  };
}
