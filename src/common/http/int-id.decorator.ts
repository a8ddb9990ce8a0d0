import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { buildMessage, IsInt, Max, Min, ValidateBy, ValidationOptions } from 'class-validator';

/** The largest id of a sub-account, template or integration (PostgreSQL int4). */
export const MAX_INT_ID = 2_147_483_647;

/**
 * An integer in a query string, read as digits only: `Number()` (what `@Type(() => Number)` does)
 * also takes "0x10", "1e1", "2.0" and " 7", so `?subAccountId=0x2` named sub-account 2. Anything but
 * digits stays text, and the field's `@IsInt()` answers it 400 VALIDATION_FAILED.
 */
export const QueryInteger = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value,
  );

/**
 * An integer id in a body or query (sub-accounts, templates, integrations): 1 … int4. A larger
 * number is a 400 VALIDATION_FAILED here rather than an integer overflow in the database (a 500).
 */
export const IsIntId = (): PropertyDecorator => applyDecorators(IsInt(), Min(1), Max(MAX_INT_ID));

const BIG_ID = /^[1-9][0-9]{0,18}$/;
const MAX_BIG_ID = 9_223_372_036_854_775_807n;

/**
 * A 64-bit id in a body or query (leads, conversations, templates …), a string of digits as the API
 * returns it: 1 … int8. Nineteen digits past int8 are a 400 here, not an overflow in the database.
 */
export const IsBigIntId = (options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'isBigIntId',
      validator: {
        validate: (value: unknown): boolean =>
          typeof value === 'string' && BIG_ID.test(value) && BigInt(value) <= MAX_BIG_ID,
        defaultMessage: buildMessage(
          (each) => `${each}$property must be an id: a string of digits from 1 to ${MAX_BIG_ID}`,
          options,
        ),
      },
    },
    options,
  );
