import type { ValidationError } from '@nestjs/common';

export interface FieldProblem {
  field: string;
  messages: string[];
}

/**
 * class-validator's errors as `details` entries, one per field (nested fields as `parent.child`).
 * A required field left out failed every check on it at once, and its answer listed them all
 * ("subAccountId must be an integer number, subAccountId must not be less than 1, subAccountId must
 * not be greater than 2147483647"), never saying the value was missing: it is "subAccountId is
 * required". An optional field left out is never validated, so only a required one gets here with
 * no value.
 */
export function validationProblems(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const missing = e.value === undefined && (e.children ?? []).length === 0;
    const own = e.constraints
      ? [{ field, messages: missing ? [`${field} is required`] : Object.values(e.constraints) }]
      : [];
    return [...own, ...validationProblems(e.children ?? [], field)];
  });
}
