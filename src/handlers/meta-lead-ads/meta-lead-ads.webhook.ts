import type { ExtractedEvent, HandshakeResponse, IntegrationConfig, VerificationKeys, VerifyResult, WebhookRequest, WebhookSpec } from '../integration-handler';
import { asId, asRecords, asString, isRecord, JsonRecord, optionalConfigString } from '../shared/json';
import { header, hmacSha256Hex, safeEqual, safeEqualHex } from '../shared/signature';
import { parseJsonLossless } from './lossless-json';
import { leadgenEventOf } from './meta-lead-ads.payload';

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;

/**
 * X-Hub-Signature-256: sha256=<hex HMAC-SHA256(raw body, app secret)>. The app secret of the config
 * is tried first, then the integration's webhook secrets (a previous app secret during a rotation).
 * Hex of either case is accepted (Meta sends lowercase); the legacy SHA-1 `X-Hub-Signature` is not.
 */
export function verifyHubSignature(req: WebhookRequest, keys: VerificationKeys): VerifyResult {
  const received = header(req.headers, 'x-hub-signature-256');
  if (!received) return { ok: false, reason: 'missing X-Hub-Signature-256 header' };
  const match = SIGNATURE.exec(received.trim());
  if (!match) return { ok: false, reason: 'malformed X-Hub-Signature-256 header (expected sha256=<64 hex digits>)' };
  const secrets = [optionalConfigString(keys.config, 'appSecret'), ...keys.webhookSecrets].filter((s): s is string => !!s);
  if (secrets.length === 0) return { ok: false, reason: 'no app secret configured' };
  // every candidate is compared, so timing does not reveal which secret matched
  let ok = false;
  for (const secret of secrets) ok = safeEqualHex(match[1], hmacSha256Hex(secret, req.rawBody)) || ok;
  return ok ? { ok: true } : { ok: false, reason: 'signature mismatch' };
}

/** Meta's GET subscription check: echo hub.challenge when the verify token matches. */
export function hubHandshake(query: Readonly<Record<string, string | undefined>>, config: IntegrationConfig): HandshakeResponse | null {
  const expected = optionalConfigString(config, 'verifyToken');
  const token = query['hub.verify_token'];
  const challenge = query['hub.challenge'];
  if (query['hub.mode'] !== 'subscribe' || !expected || token === undefined || !challenge) return null;
  return safeEqual(token, expected) ? { contentType: 'text/plain', body: challenge } : null;
}

// Compares ids however they arrived: a digit string and the (possibly rounded) JSON number
// JSON.parse made of the same digits give the same key.
function idKey(value: unknown): string | undefined {
  return typeof value === 'string' && /^\d+$/.test(value) ? asId(Number(value)) : asId(value);
}

function entriesOf(payload: unknown): JsonRecord[] {
  return isRecord(payload) ? asRecords(payload.entry) : [];
}

export function pageIds(payload: unknown): string[] {
  return [...new Set(entriesOf(payload).map((e) => asId(e.id)).filter((id): id is string => id !== undefined))];
}

export function selectPage(payload: unknown, key: string): unknown {
  if (!isRecord(payload)) return payload;
  const wanted = idKey(key);
  return { ...payload, entry: entriesOf(payload).filter((e) => idKey(e.id) === wanted) };
}

/**
 * The delivery's entries with ids read losslessly from the raw bytes, restricted to the entries of
 * `payload` (which may be one page's selection). Falls back to `payload` when the raw body is not
 * the JSON `payload` came from (e.g. a replay that only has the stored payload).
 */
function losslessEntries(payload: unknown, rawBody: Buffer): JsonRecord[] {
  const wanted = entriesOf(payload);
  let raw: JsonRecord[];
  try {
    raw = rawBody.length > 0 ? entriesOf(parseJsonLossless(rawBody.toString('utf8'))) : [];
  } catch {
    return wanted;
  }
  const wantedKeys = new Set(wanted.map((e) => idKey(e.id)));
  const kept = raw.filter((e) => wantedKeys.has(idKey(e.id)));
  const changeCount = (entries: JsonRecord[]): number => entries.reduce((n, e) => n + asRecords(e.changes).length, 0);
  return kept.length === wanted.length && changeCount(kept) === changeCount(wanted) ? kept : wanted;
}

/** One `leadgen` event per change; other fields (feed, photos …) are not ours and give no event. */
export function extractLeadgenEvents(payload: unknown, req: WebhookRequest): ExtractedEvent[] {
  if (isRecord(payload) && payload.object !== undefined && payload.object !== 'page') return [];
  const events: ExtractedEvent[] = [];
  for (const entry of losslessEntries(payload, req.rawBody)) {
    for (const change of asRecords(entry.changes)) {
      if (asString(change.field) !== 'leadgen') continue;
      const event = leadgenEventOf(change.value, asId(entry.id));
      if (event) events.push({ externalId: event.leadgenId, eventType: 'leadgen', payload: event });
    }
  }
  return events;
}

export const metaLeadAdsWebhook: WebhookSpec = {
  routing: 'provider',
  routingKeys: pageIds,
  routingKeyOf: (config) => optionalConfigString(config, 'pageId'),
  selectForRoutingKey: selectPage,
  verify: verifyHubSignature,
  extractEvents: extractLeadgenEvents,
  handshake: hubHandshake,
};
