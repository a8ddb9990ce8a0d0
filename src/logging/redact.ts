/** Keys whose values never reach a log line, at any depth. */
const SECRET_KEY = /secret|token|passw(or)?d|api[-_]?key|authorization|cookie|credential|private[-_]?key|signature/i;
export const REDACTED = '[REDACTED]';

/** Returns a copy with every value under a secret-looking key replaced; bounded in depth and size. */
export function redactDeep(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return '[depth]';
  if (value instanceof Error) {
    return { type: value.name, message: value.message, stack: value.stack };
  }
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (Array.isArray(value)) return value.slice(0, 100).map((v) => redactDeep(v, depth + 1));
  // class instances (requests, responses, sockets) are left to their serializers: walking them is
  // costly (a raw body Buffer byte by byte) and they are reduced to safe fields there
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) ? REDACTED : redactDeep(v, depth + 1);
  }
  return out;
}
