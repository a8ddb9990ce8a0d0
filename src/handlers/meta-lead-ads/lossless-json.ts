/**
 * JSON.parse turns integers above 2^53 into the nearest double, so a Meta id sent as a JSON number
 * (the leadgen docs sample does that) can silently change. This parser rewrites every integer
 * literal that is not a safe integer into a JSON string of the same digits before parsing, so such
 * ids survive exactly; every other value parses as JSON.parse would parse it.
 */
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

export function parseJsonLossless(text: string): unknown {
  let out = '';
  let copiedUpTo = 0;
  let i = 0;
  while (i < text.length) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 /* " */) {
      // skip the whole string literal, honouring escapes, so digits inside strings are left alone
      i++;
      while (i < text.length && text.charCodeAt(i) !== 0x22) i += text.charCodeAt(i) === 0x5c /* \ */ ? 2 : 1;
      i++;
      continue;
    }
    if (ch === 0x2d /* - */ || (ch >= 0x30 && ch <= 0x39)) {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(text);
      if (!match) {
        i++;
        continue;
      }
      const token = match[0];
      if (/^-?\d+$/.test(token) && !Number.isSafeInteger(Number(token))) {
        out += `${text.slice(copiedUpTo, i)}"${token}"`;
        copiedUpTo = i + token.length;
      }
      i += token.length;
      continue;
    }
    i++;
  }
  return JSON.parse(out + text.slice(copiedUpTo)) as unknown;
}
