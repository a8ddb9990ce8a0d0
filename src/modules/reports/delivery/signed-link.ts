// Signed download links for generated reports (API.md "Reports": the `downloadUrl` streams the file
// without a bearer token; HMAC, expires, at most 7 days). The link carries the expiry (Unix seconds)
// and an HMAC-SHA256 over a domain-separated message naming the report and that expiry, base64url
// encoded, so it survives e-mail clients and URL handling. Verification recomputes the HMAC with each
// accepted key (the first one signs; older ones keep links valid through a key rotation) and compares
// in constant time, then checks the expiry; an expiry further away than 7 days is refused even with
// a valid signature, so a link can never outlive the policy.
//
// Usage:
//   const key = deriveReportLinkKey(secret)            // or 32+ random bytes from configuration
//   const { url } = createSignedDownloadUrl({ baseUrl, reportId, key, now, ttlMs })
//   verifySignedDownload({ reportId: params.id, expires: query.expires, signature: query.signature }, [key], now)

import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

export const MAX_LINK_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** Clock skew tolerated between the server that signed and the one that verifies. */
const SKEW_MS = 5 * 60 * 1000;
const MIN_KEY_BYTES = 32;
const REPORT_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
const EXPIRES_RE = /^\d{1,12}$/;
const SIGNATURE_RE = /^[A-Za-z0-9_-]{43}$/; // 32 bytes of HMAC-SHA256, base64url without padding

export type LinkCheck =
  | { readonly ok: true; readonly reportId: string; readonly expiresAt: Date }
  | { readonly ok: false; readonly reason: 'malformed' | 'invalid' | 'expired' };

/** A 32-byte link key derived (HKDF-SHA256) from a longer-lived secret, separate from its other uses. */
export function deriveReportLinkKey(secret: Buffer | string): Buffer {
  const material = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  if (material.length < MIN_KEY_BYTES) throw new RangeError(`The secret needs at least ${MIN_KEY_BYTES} bytes`);
  return Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), 'integration-hub/report-download-link/v1', 32));
}

/** The base64url signature of (reportId, expiry). */
export function signReportDownload(reportId: string, expiresAt: Date, key: Buffer): string {
  assertKey(key);
  if (!REPORT_ID_RE.test(reportId)) throw new RangeError('A report id is 1–64 characters of [A-Za-z0-9_-]');
  return mac(reportId, unixSeconds(expiresAt), key).toString('base64url');
}

/** A download URL for `reportId` valid for `ttlMs` (≤ 7 days) from `now`. */
export function createSignedDownloadUrl(options: {
  readonly baseUrl: string;
  readonly reportId: string;
  readonly key: Buffer;
  readonly now: Date;
  readonly ttlMs: number;
}): { url: string; expiresAt: Date } {
  if (!Number.isFinite(options.ttlMs) || options.ttlMs <= 0 || options.ttlMs > MAX_LINK_TTL_MS)
    throw new RangeError('A download link lives more than 0 and at most 7 days');
  // Whole seconds, rounded down, so the link never outlives the requested lifetime.
  const expiresAt = new Date(Math.floor((options.now.getTime() + options.ttlMs) / 1000) * 1000);
  const signature = signReportDownload(options.reportId, expiresAt, options.key);
  const url = new URL(`api/reports/${encodeURIComponent(options.reportId)}/download`, withSlash(options.baseUrl));
  url.searchParams.set('expires', String(unixSeconds(expiresAt)));
  url.searchParams.set('signature', signature);
  return { url: url.toString(), expiresAt };
}

/**
 * Checks a link's parts as they arrive from the request (query values may be arrays or missing).
 * `keys`: the signing key first, then keys still accepted after a rotation.
 */
export function verifySignedDownload(
  parts: { readonly reportId: unknown; readonly expires: unknown; readonly signature: unknown },
  keys: readonly Buffer[],
  now: Date,
): LinkCheck {
  if (keys.length === 0) throw new RangeError('At least one link key is needed');
  keys.forEach(assertKey);
  const { reportId, expires, signature } = parts;
  if (
    typeof reportId !== 'string' ||
    typeof expires !== 'string' ||
    typeof signature !== 'string' ||
    !REPORT_ID_RE.test(reportId) ||
    !EXPIRES_RE.test(expires) ||
    !SIGNATURE_RE.test(signature)
  ) {
    return { ok: false, reason: 'malformed' };
  }
  const given = Buffer.from(signature, 'base64url');
  let matched = false;
  // Every key is tried, so the time taken does not tell which one matched.
  for (const key of keys) matched = timingSafeEqual(given, mac(reportId, Number(expires), key)) || matched;
  if (!matched) return { ok: false, reason: 'invalid' };
  const expiresAt = new Date(Number(expires) * 1000);
  if (expiresAt.getTime() - now.getTime() > MAX_LINK_TTL_MS + SKEW_MS) return { ok: false, reason: 'invalid' };
  if (expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, reportId, expiresAt };
}

function mac(reportId: string, expires: number, key: Buffer): Buffer {
  // Newlines cannot occur in either field, so the message is unambiguous.
  return createHmac('sha256', key).update(`report-download\n${reportId}\n${expires}`).digest();
}

function unixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

function assertKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length < MIN_KEY_BYTES)
    throw new RangeError(`A link key has at least ${MIN_KEY_BYTES} bytes`);
}

function withSlash(baseUrl: string): string {
  return baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
}
