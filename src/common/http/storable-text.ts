const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Text PostgreSQL refuses in text and jsonb columns: NUL characters and unpaired UTF-16 surrogates. */
export function isUnstorableText(text: string): boolean {
  return text.includes('\u0000') || LONE_SURROGATE.test(text);
}

/**
 * The dotted path (`tags.1`, `source.campaignName`) of the first string in a request body or query
 * that PostgreSQL cannot store, or null when there is none. A bad object key is reported as the
 * object holding it (`root` for a key at the top). Iterative: a deeply nested body cannot exhaust
 * the stack.
 */
export function unstorableTextField(value: unknown, root: string): string | null {
  const stack: Array<{ value: unknown; path: string }> = [{ value, path: '' }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop() as { value: unknown; path: string };
    if (typeof current === 'string') {
      if (isUnstorableText(current)) return path || root;
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    const entries: Array<[string, unknown]> = Array.isArray(current)
      ? current.map((item, index) => [String(index), item])
      : Object.entries(current);
    for (const [key, item] of entries.reverse()) {
      if (isUnstorableText(key)) return path || root;
      stack.push({ value: item, path: path ? `${path}.${key}` : key });
    }
  }
  return null;
}
