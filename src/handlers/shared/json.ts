/** Narrowing helpers for provider payloads, which enter as `unknown`. */

export type JsonRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string, or a number/bigint rendered as a string (provider ids arrive as either). Empty → undefined. */
export function asId(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim();
  if (typeof value === 'number' && Number.isFinite(value))
    return Number.isInteger(value) ? value.toFixed(0) : String(value);
  if (typeof value === 'bigint') return value.toString();
  return undefined;
}

export function asString(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

export function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

export function asBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asRecords(value: unknown): JsonRecord[] {
  return asArray(value).filter(isRecord);
}

/**
 * What an answer that is not the JSON a provider promised was, for an error message: never its
 * text, which may quote what was sent (a token).
 */
export function bodyKind(body: unknown): string {
  if (body === null || body === undefined || body === '') return 'an empty body';
  if (typeof body === 'string') return /^\s*</.test(body) ? 'an HTML page' : 'text';
  if (Array.isArray(body)) return 'a JSON array';
  return isRecord(body) ? 'a JSON object' : `a JSON ${typeof body}`;
}

/** Reads a required string from a config; handlers call it after Ajv validated the config. */
export function configString(config: Readonly<JsonRecord>, key: string): string {
  const value = config[key];
  if (typeof value !== 'string' || value === '') throw new Error(`config.${key} is missing`);
  return value;
}

export function optionalConfigString(config: Readonly<JsonRecord>, key: string): string | undefined {
  const value = config[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Resolves an RFC 6901 JSON Pointer ("/data/email") in a parsed payload. */
export function jsonPointer(document: unknown, pointer: string): unknown {
  if (pointer === '') return document;
  if (!pointer.startsWith('/')) return undefined;
  let current: unknown = document;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(current)) {
      if (!/^(0|[1-9]\d*)$/.test(token)) return undefined;
      current = current[Number(token)];
    } else if (isRecord(current) && Object.prototype.hasOwnProperty.call(current, token)) {
      current = current[token];
    } else {
      return undefined;
    }
  }
  return current;
}
