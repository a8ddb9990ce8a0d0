import { ValidateIf } from 'class-validator';

/**
 * A field that may be left out but is never null (a NOT NULL column): unlike `@IsOptional()`, which
 * skips validation for null too, `null` goes through the field's validators and answers 400
 * VALIDATION_FAILED instead of reaching the database. For a PartialType of a DTO, pass
 * `{ skipNullProperties: false }`, which does the same for every field.
 */
export const IsOptionalNotNull = (): PropertyDecorator => ValidateIf((_object, value) => value !== undefined);
