/** Deepest nesting a request body or query may have (the webhook payload limit; class-transformer recurses). */
export const MAX_INPUT_DEPTH = 64;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Text PostgreSQL refuses in text and jsonb columns: NUL characters and unpaired UTF-16 surrogates. */
export function isUnstorableText(text: string): boolean {
  return text.includes('\u0000') || LONE_SURROGATE.test(text);
}

export interface InputProblem {
  /** Dotted path (`tags.1`, `source.campaignName`); a bad object key is reported as the object holding it. */
  field: string;
  message: string;
}

/**
 * Keys naming a member of Object.prototype (`constructor`, `toString`, `valueOf`, `hasOwnProperty` …).
 * The parser refuses `__proto__`; class-transformer silently drops the others from every object it
 * copies, so `{ "toString": "x" }` among a send's template parameters or on a template's button passed
 * the checks that refuse any other unknown key, and the global pipe's whitelist never saw them.
 */
const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/**
 * The first part of a request body or query that cannot be taken: text PostgreSQL cannot store, a key
 * of PROTOTYPE_KEYS, or nesting deeper than MAX_INPUT_DEPTH; null when there is none. `root` names the
 * top (body, query). Iterative: a deeply nested body cannot exhaust the stack here.
 */
export function unstorableInput(value: unknown, root: string): InputProblem | null {
  const text = (path: string): InputProblem => ({
    field: path || root,
    message: `${path || root} contains a NUL character or an unpaired surrogate, which cannot be stored`,
  });
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { value: current, path, depth } = stack.pop() as { value: unknown; path: string; depth: number };
    if (typeof current === 'string') {
      if (isUnstorableText(current)) return text(path);
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= MAX_INPUT_DEPTH)
      return { field: path || root, message: `${path || root} is nested deeper than ${MAX_INPUT_DEPTH} levels` };
    const entries: Array<[string, unknown]> = Array.isArray(current)
      ? current.map((item, index) => [String(index), item])
      : Object.entries(current);
    for (const [key, item] of entries.reverse()) {
      if (isUnstorableText(key)) return text(path);
      if (!Array.isArray(current) && PROTOTYPE_KEYS.has(key)) {
        const field = path ? `${path}.${key}` : key;
        return { field, message: `${field}: a key named ${key} cannot be taken (it names a member of every object)` };
      }
      stack.push({ value: item, path: path ? `${path}.${key}` : key, depth: depth + 1 });
    }
  }
  return null;
}
