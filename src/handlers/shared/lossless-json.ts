/**
 * JSON.parse, except that an integer literal beyond Number.MAX_SAFE_INTEGER comes back as a string
 * of its exact digits: JSON.parse would round Google's int64 ids (form_id, campaign_id …) to the
 * nearest double, e.g. 9223372036854775807 → 9223372036854775808. Every other value parses exactly
 * as JSON.parse parses it, and invalid JSON still throws SyntaxError.

 */
export function parseJsonLossless(raw: string): unknown {
  // a UTF-8 byte order mark is not JSON, but senders prepend one and the request parser accepts it
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  // an unsafe integer has at least 16 digits: most bodies have none and take the fast path
  if (!/\d{16}/.test(text)) return JSON.parse(text) as unknown;
  return JSON.parse(quoteUnsafeIntegers(text)) as unknown;
}

const INTEGER = /^-?(?:0|[1-9]\d*)$/;

function isNumberChar(code: number): boolean {
  // 0-9 . + - e E
  return (
    (code >= 0x30 && code <= 0x39) || code === 0x2e || code === 0x2b || code === 0x2d || code === 0x65 || code === 0x45
  );
}

function quoteUnsafeIntegers(text: string): string {
  let out = '';
  let copiedUpTo = 0;
  let i = 0;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === 0x22 /* " */) {
      // skip the whole string literal (keys included), honouring escapes
      i++;
      while (i < text.length && text.charCodeAt(i) !== 0x22) i += text.charCodeAt(i) === 0x5c /* \ */ ? 2 : 1;
      i++;
      continue;
    }
    if (code === 0x2d || (code >= 0x30 && code <= 0x39)) {
      const start = i;
      while (i < text.length && isNumberChar(text.charCodeAt(i))) i++;
      const token = text.slice(start, i);
      // only valid JSON integers are quoted, so invalid input (leading zeros …) still fails to parse
      if (INTEGER.test(token) && !Number.isSafeInteger(Number(token))) {
        out += `${text.slice(copiedUpTo, start)}"${token}"`;
        copiedUpTo = i;
      }
      continue;
    }
    i++;
  }
  return out + text.slice(copiedUpTo);
}
