import { Prisma } from '../generated/prisma/client';
import type { JsonValue } from '../common/json-value';

/** A domain JSON value as Prisma's column input: a top-level null is SQL NULL's JSON twin, `JsonNull`. */
export function jsonInput(value: JsonValue): Prisma.InputJsonValue | typeof Prisma.JsonNull {
  return value === null ? Prisma.JsonNull : value;
}
