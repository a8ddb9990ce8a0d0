// Signed download links: round trip, expiry, tampering, key rotation, the 7-day ceiling, malformed input.
import { createHmac, randomBytes } from 'node:crypto';
import {
  createSignedDownloadUrl,
  deriveReportLinkKey,
  MAX_LINK_TTL_MS,
  signReportDownload,
  verifySignedDownload,
} from './signed-link';

const KEY = Buffer.alloc(32, 7);
const OLD_KEY = Buffer.alloc(32, 9);
const NOW = new Date('2024-04-01T08:00:00.500Z');
const HOUR = 3_600_000;

function linkParts(url: string) {
  const parsed = new URL(url);
  const [, reportId] = /\/api\/reports\/([^/]+)\/download$/.exec(parsed.pathname) ?? [];
  return {
    reportId: decodeURIComponent(reportId),
    expires: parsed.searchParams.get('expires') ?? undefined,
    signature: parsed.searchParams.get('signature') ?? undefined,
  };
}

describe('signed download links', () => {
  const { url, expiresAt } = createSignedDownloadUrl({
    baseUrl: 'https://hub.example.com',
    reportId: '1234567890',
    key: KEY,
    now: NOW,
    ttlMs: 24 * HOUR,
  });

  it('builds a URL-safe link to the report download with whole-second expiry', () => {
    expect(expiresAt.toISOString()).toBe('2024-04-02T08:00:00.000Z');
    expect(url).toMatch(
      /^https:\/\/hub\.example\.com\/api\/reports\/1234567890\/download\?expires=1712044800&signature=[A-Za-z0-9_-]{43}$/,
    );
    expect(
      createSignedDownloadUrl({ baseUrl: 'https://hub.example.com/', reportId: '1', key: KEY, now: NOW, ttlMs: HOUR })
        .url,
    ).toContain('https://hub.example.com/api/reports/1/download?');
  });

  it('verifies until the expiry instant, then reports it expired', () => {
    const parts = linkParts(url);
    expect(verifySignedDownload(parts, [KEY], new Date(NOW.getTime() + HOUR))).toEqual({
      ok: true,
      reportId: '1234567890',
      expiresAt,
    });
    expect(verifySignedDownload(parts, [KEY], new Date(expiresAt.getTime() - 1)).ok).toBe(true);
    expect(verifySignedDownload(parts, [KEY], expiresAt)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses another report, another expiry, a changed signature and another key', () => {
    const parts = linkParts(url);
    const later = new Date(NOW.getTime() + HOUR);
    const flipped = parts.signature!.startsWith('A')
      ? `B${parts.signature!.slice(1)}`
      : `A${parts.signature!.slice(1)}`;
    for (const forged of [
      { ...parts, reportId: '1234567891' },
      { ...parts, expires: String(Number(parts.expires) + 3600) },
      { ...parts, signature: flipped },
    ])
      expect(verifySignedDownload(forged, [KEY], later)).toEqual({ ok: false, reason: 'invalid' });
    expect(verifySignedDownload(parts, [Buffer.alloc(32, 8)], later)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('keeps links valid through a key rotation while the old key is still listed', () => {
    const old = createSignedDownloadUrl({
      baseUrl: 'https://hub.example.com',
      reportId: '42',
      key: OLD_KEY,
      now: NOW,
      ttlMs: HOUR,
    });
    const later = new Date(NOW.getTime() + 60_000);
    expect(verifySignedDownload(linkParts(old.url), [KEY, OLD_KEY], later).ok).toBe(true);
    expect(verifySignedDownload(linkParts(old.url), [KEY], later)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('never signs for more than 7 days, and refuses a correctly signed longer expiry', () => {
    expect(() =>
      createSignedDownloadUrl({ baseUrl: 'https://h', reportId: '1', key: KEY, now: NOW, ttlMs: MAX_LINK_TTL_MS + 1 }),
    ).toThrow(RangeError);
    expect(() =>
      createSignedDownloadUrl({ baseUrl: 'https://h', reportId: '1', key: KEY, now: NOW, ttlMs: 0 }),
    ).toThrow(RangeError);
    const max = createSignedDownloadUrl({
      baseUrl: 'https://h',
      reportId: '1',
      key: KEY,
      now: NOW,
      ttlMs: MAX_LINK_TTL_MS,
    });
    expect(verifySignedDownload(linkParts(max.url), [KEY], NOW).ok).toBe(true);
    // Someone holding the key (or a bug) signs a 30-day link by hand: still refused.
    const expires = Math.floor(NOW.getTime() / 1000) + 30 * 86_400;
    const signature = createHmac('sha256', KEY).update(`report-download\n1\n${expires}`).digest('base64url');
    expect(signReportDownload('1', new Date(expires * 1000), KEY)).toBe(signature);
    expect(verifySignedDownload({ reportId: '1', expires: String(expires), signature }, [KEY], NOW)).toEqual({
      ok: false,
      reason: 'invalid',
    });
  });

  it('calls malformed anything that is not one well-formed value per part', () => {
    const parts = linkParts(url);
    for (const bad of [
      { ...parts, expires: undefined },
      { ...parts, expires: [parts.expires, parts.expires] }, // ?expires=…&expires=…
      { ...parts, expires: '1e12' },
      { ...parts, signature: `${parts.signature}=` },
      { ...parts, signature: parts.signature!.slice(1) },
      { ...parts, reportId: '12:34' },
      { ...parts, reportId: '../etc/passwd' },
    ])
      expect(verifySignedDownload(bad, [KEY], NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('requires keys of at least 32 bytes and derives one from a longer secret', () => {
    expect(() => signReportDownload('1', NOW, Buffer.alloc(16))).toThrow(RangeError);
    expect(() => verifySignedDownload(linkParts(url), [], NOW)).toThrow(RangeError);
    const secret = randomBytes(48);
    const derived = deriveReportLinkKey(secret);
    expect(derived).toHaveLength(32);
    expect(derived.equals(deriveReportLinkKey(secret))).toBe(true);
    expect(derived.equals(secret.subarray(0, 32))).toBe(false);
    expect(() => deriveReportLinkKey('short')).toThrow(RangeError);
  });
});
