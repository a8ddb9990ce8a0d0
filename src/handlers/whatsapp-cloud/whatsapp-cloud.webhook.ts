import type { ExtractedEvent, WebhookSpec } from '../integration-handler';
import { asId, asRecords, asString, isRecord, JsonRecord, optionalConfigString } from '../shared/json';
import { hubHandshake, META_VERIFICATION_FIELDS, verifyHubSignature } from '../shared/meta-hub';
import { messageEventsOf, statusEventsOf } from './whatsapp-cloud.payload';

/** The `messages` changes of a delivery with the business phone number id each is about. */
function messageChanges(payload: unknown): Array<{ phoneNumberId: string; value: JsonRecord }> {
  if (!isRecord(payload)) return [];
  const out: Array<{ phoneNumberId: string; value: JsonRecord }> = [];
  for (const entry of asRecords(payload.entry)) {
    for (const change of asRecords(entry.changes)) {
      const phoneNumberId = phoneNumberIdOf(change);
      if (phoneNumberId && isRecord(change.value) && asString(change.field) === 'messages')
        out.push({ phoneNumberId, value: change.value });
    }
  }
  return out;
}

function phoneNumberIdOf(change: JsonRecord): string | undefined {
  return isRecord(change.value) && isRecord(change.value.metadata)
    ? asId(change.value.metadata.phone_number_id)
    : undefined;
}

export function phoneNumberIds(payload: unknown): string[] {
  if (!isRecord(payload)) return [];
  const ids = asRecords(payload.entry).flatMap((entry) => asRecords(entry.changes).map(phoneNumberIdOf));
  return [...new Set(ids.filter((id): id is string => id !== undefined))];
}

/** Keeps only the changes about one business number; entries left without changes are dropped. */
export function selectPhoneNumber(payload: unknown, key: string): unknown {
  if (!isRecord(payload)) return payload;
  const entry = asRecords(payload.entry)
    .map((e) => ({ ...e, changes: asRecords(e.changes).filter((c) => phoneNumberIdOf(c) === key) }))
    .filter((e) => e.changes.length > 0);
  return { ...payload, entry };
}

/**
 * One event per inbound message (id: the wamid) and per status. A message gets several statuses
 * (sent, delivered, read), so a status event's id is `<wamid>:<status>`. Other change fields
 * (template or account updates) and `value.errors` give no event.
 */
export function extractWhatsAppEvents(payload: unknown): ExtractedEvent[] {
  const events: ExtractedEvent[] = [];
  for (const { phoneNumberId, value } of messageChanges(payload)) {
    for (const message of messageEventsOf(value, phoneNumberId))
      events.push({ externalId: message.id, eventType: 'message', payload: message });
    for (const status of statusEventsOf(value, phoneNumberId))
      events.push({ externalId: `${status.id}:${status.status}`, eventType: 'status', payload: status });
  }
  return events;
}

export const whatsAppWebhook: WebhookSpec = {
  routing: 'provider',
  routingKeys: phoneNumberIds,
  routingKeyOf: (config) => optionalConfigString(config, 'phoneNumberId'),
  selectForRoutingKey: selectPhoneNumber,
  verificationFields: META_VERIFICATION_FIELDS,
  verify: verifyHubSignature,
  extractEvents: (payload) => extractWhatsAppEvents(payload),
  handshake: hubHandshake,
};
