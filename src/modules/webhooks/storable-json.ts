/** Deepest nesting a stored payload may have (PostgreSQL jsonb and our own serialiser stay safe). */
export const MAX_PAYLOAD_DEPTH = 64;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Why a verified payload cannot be stored as jsonb, or null when it can: nesting too deep, NUL
 * characters or lone surrogates (which PostgreSQL refuses), in values or keys. Iterative, so hostile
 * depth cannot exhaust the stack.
 */
export function unstorableReason(value: unknown): string | null {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  const bad = (s: string): boolean => s.includes('\u0000') || LONE_SURROGATE.test(s);
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop() as { value: unknown; depth: number };
    if (typeof current === 'string') {
      if (bad(current)) return 'the payload contains NUL characters or unpaired surrogates';
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= MAX_PAYLOAD_DEPTH) return `the payload is nested deeper than ${MAX_PAYLOAD_DEPTH} levels`;
    if (Array.isArray(current)) {
      for (const item of current) stack.push({ value: item, depth: depth + 1 });
      continue;
    }
    for (const [key, item] of Object.entries(current)) {
      if (bad(key)) return 'the payload contains NUL characters or unpaired surrogates';
      stack.push({ value: item, depth: depth + 1 });
    }
  }
  return null;
}
