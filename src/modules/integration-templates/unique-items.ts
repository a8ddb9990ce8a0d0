import type Ajv2020 from 'ajv/dist/2020';
import type { AnySchemaObject, SchemaValidateFunction } from 'ajv';

const SCALAR_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null']);

/**
 * A JSON value as text with every object's keys sorted: two JSON values are equal as `uniqueItems`
 * reads equality (Ajv's deep equal: same keys whatever their order, same items in the same order,
 * 1 and 1.0 alike, 1 and "1" not) exactly when their texts are. Config depth is bounded (64) before
 * validation, so the recursion is too.
 */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(record[key])}`).join(',')}}`;
  }
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

/** The scalar types `items` declares, as Ajv reads them to compare only items of those types; null when it declares none or a structured one. */
function scalarItemTypes(parent: AnySchemaObject | undefined): string[] | null {
  const items: unknown = parent?.items;
  const declared: unknown = typeof items === 'object' && items !== null ? (items as AnySchemaObject).type : undefined;
  const types = typeof declared === 'string' ? [declared] : Array.isArray(declared) ? declared.map(String) : [];
  return types.length > 0 && types.every((type) => SCALAR_TYPES.has(type)) ? types : null;
}

function hasType(value: unknown, type: string): boolean {
  if (type === 'null') return value === null;
  if (type === 'integer') return typeof value === 'number' && Number.isInteger(value);
  return typeof value === type;
}

/** Ajv's loop over scalar items: from the end, the first item seen again (`j` is the later one). */
function repeatFromEnd(data: readonly unknown[], types: readonly string[]): { i: number; j: number } | undefined {
  const seen = new Map<string, number>();
  for (let i = data.length - 1; i >= 0; i--) {
    if (!types.some((type) => hasType(data[i], type))) continue;
    const text = canonical(data[i]);
    const j = seen.get(text);
    if (j !== undefined) return { i, j };
    seen.set(text, i);
  }
  return undefined;
}

/** Ajv's loop over other items: the last item that repeats an earlier one, and the nearest such earlier one. */
function lastRepeat(data: readonly unknown[]): { i: number; j: number } | undefined {
  const latest = new Map<string, number>();
  let repeated: { i: number; j: number } | undefined;
  for (const [i, item] of data.entries()) {
    const text = canonical(item);
    const j = latest.get(text);
    if (j !== undefined) repeated = { i, j };
    latest.set(text, i);
  }
  return repeated;
}

/**
 * `uniqueItems` in linear time. Ajv compares every item with every other unless the schema types its
 * items as scalars, so a template with `"uniqueItems": true` on untyped or object items let one config
 * of a few hundred kilobytes hold the event loop for many seconds (ajv.js.org/security.html lists
 * uniqueItems among the keywords that are slow on large data). Same arrays refused, same error as
 * Ajv's (items of another type than scalar `items` declare are not compared, as there).
 */
export function withLinearUniqueItems(ajv: Ajv2020): Ajv2020 {
  const validate: SchemaValidateFunction = (
    schema: boolean,
    data: unknown[],
    parentSchema?: AnySchemaObject,
  ): boolean => {
    if (!schema) return true;
    const types = scalarItemTypes(parentSchema);
    const repeated = types === null ? lastRepeat(data) : repeatFromEnd(data, types);
    if (repeated === undefined) return true;
    const { i, j } = repeated;
    validate.errors = [
      {
        keyword: 'uniqueItems',
        params: { i, j },
        message: `must NOT have duplicate items (items ## ${j} and ${i} are identical)`,
      },
    ];
    return false;
  };
  ajv.removeKeyword('uniqueItems');
  ajv.addKeyword({ keyword: 'uniqueItems', type: 'array', schemaType: 'boolean', errors: true, validate });
  return ajv;
}
