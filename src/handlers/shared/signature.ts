import { createHmac, timingSafeEqual } from 'node:crypto';

export function hmacSha256Hex(key: string | Buffer, ...parts: Array<string | Buffer>): string {
  const hmac = createHmac('sha256', key);
  for (const part of parts) hmac.update(part);
  return hmac.digest('hex');
}

/** Constant-time comparison of two strings (different lengths compare unequal without leaking where). */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  if (left.length !== right.length) {
    // still spend the comparison so a length mismatch is not measurably faster
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

/** Compares a received hex digest (any case, optional prefix already removed) with the expected one. */
export function safeEqualHex(received: string, expectedHex: string): boolean {
  return safeEqual(received.trim().toLowerCase(), expectedHex.toLowerCase());
}

/** The first present header among several names (lower-case). */
export function header(headers: Readonly<Record<string, string | undefined>>, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = headers[name.toLowerCase()];
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}
