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
  if (Array.isArray(value)) return value.slice(0, 100).map((v) => redactDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) ? REDACTED : redactDeep(v, depth + 1);
  }
  return out;
}
