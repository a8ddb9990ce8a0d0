import type { ExtractedEvent, WebhookRequest, WebhookSpec } from '../integration-handler';
import { asId, asRecords, asString, isRecord, JsonRecord, optionalConfigString } from '../shared/json';
import { hubHandshake, META_VERIFICATION_FIELDS, verifyHubSignature } from '../shared/meta-hub';
import { parseJsonLossless } from '../shared/lossless-json';
import { leadgenEventOf } from './meta-lead-ads.payload';

// Compares ids however they arrived: a digit string and the (possibly rounded) JSON number
// JSON.parse made of the same digits give the same key.
function idKey(value: unknown): string | undefined {
  return typeof value === 'string' && /^\d+$/.test(value) ? asId(Number(value)) : asId(value);
}

function entriesOf(payload: unknown): JsonRecord[] {
  return isRecord(payload) ? asRecords(payload.entry) : [];
}

/** The pages its `leadgen` changes name (`value.page_id`): in Meta's own sample they differ from `entry.id`. */
function changedPageIds(entry: JsonRecord): string[] {
  return asRecords(entry.changes)
    .filter((c) => asString(c.field) === 'leadgen' && isRecord(c.value))
    .map((c) => asId((c.value as JsonRecord).page_id))
    .filter((id): id is string => id !== undefined);
}

/**
 * The pages a delivery is about: each entry's `id` (the page, Meta's payload notes) and the `page_id`
 * its leadgen changes name. They are the same page in Meta's deliveries, but Meta's published sample
 * (fixtures/meta-lead-ads/leadgen-webhook.page-sample.json) has entry id 153125381133 beside page_id
 * 123123123, and an integration configured with either must receive it. The signature is still
 * checked with the secret of the integration the key routes to.
 */
export function pageIds(payload: unknown): string[] {
  const ids = entriesOf(payload).flatMap((e) => [asId(e.id), ...changedPageIds(e)]);
  return [...new Set(ids.filter((id): id is string => id !== undefined))];
}

/** One page's part of a delivery: the entries whose id, or one of whose leadgen changes' page_id, is that page. */
export function selectPage(payload: unknown, key: string): unknown {
  if (!isRecord(payload)) return payload;
  const wanted = idKey(key);
  const names = (e: JsonRecord): boolean =>
    idKey(e.id) === wanted || changedPageIds(e).some((id) => idKey(id) === wanted);
  return { ...payload, entry: entriesOf(payload).filter(names) };
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
  verificationFields: META_VERIFICATION_FIELDS,
  verify: verifyHubSignature,
  extractEvents: extractLeadgenEvents,
  handshake: hubHandshake,
};
