import { createHash } from 'node:crypto';
import { DomainException } from '../errors/domain.exception';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
export const MAX_KEY_LENGTH = 255;

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;
// an sf-string (RFC 8941 §3.3.3), as the draft writes the header: "…" with \" and \\ escaped
const SF_STRING = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/;

function invalid(message: string): DomainException {
  return DomainException.validation(message, [{ field: IDEMPOTENCY_KEY_HEADER, messages: [message] }]);
}

/**
 * The key of an Idempotency-Key header: undefined when there is none; 400 VALIDATION_FAILED unless it
 * is 1–255 printable ASCII characters. The draft's structured-field string (`"abc"`) and the bare
 * value most clients send (`abc`) name the same key.
 */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (Array.isArray(header)) throw invalid(`${IDEMPOTENCY_KEY_HEADER} must be sent once`);
  const quoted = SF_STRING.exec(header);
  const key = quoted ? quoted[1].replace(/\\(["\\])/g, '$1') : header;
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || !PRINTABLE_ASCII.test(key))
    throw invalid(`${IDEMPOTENCY_KEY_HEADER} must be 1 to ${MAX_KEY_LENGTH} printable ASCII characters`);
  return key;
}

/** JSON with every object's keys sorted: the same request body however its fields were ordered. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** SHA-256 (hex) of the request body's canonical JSON. */
export function requestFingerprint(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}
