import type { ExtractedEvent, WebhookSpec } from '../integration-handler';
import { asId, asNumber, asRecords, asString, isRecord, JsonRecord, optionalConfigString } from '../shared/json';
import { hubHandshake, META_VERIFICATION_FIELDS, verifyHubSignature } from '../shared/meta-hub';
import { messageEventsOf } from './whatsapp-cloud.messages';
import { errorsOf, statusEventsOf, WhatsAppValueErrorsEvent } from './whatsapp-cloud.payload';

/** The `messages` changes of a delivery with the business phone number id each is about. */
function messageChanges(payload: unknown): Array<{ phoneNumberId: string; value: JsonRecord }> {
  if (!isRecord(payload)) return [];
  const out: Array<{ phoneNumberId: string; value: JsonRecord }> = [];
  for (const entry of asRecords(payload.entry)) {
    for (const change of asRecords(entry.changes)) {
      const phoneNumberId = phoneNumberIdOf(change);
      const field = asString(change.field);
      if (phoneNumberId && isRecord(change.value) && (field === 'messages' || field === 'user_preferences'))
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

/**
 * WABA-level changes carry no phone number: `message_template_status_update` (and the other
 * template fields) are about the WhatsApp Business Account, `entry[].id` (Meta's
 * message_template_status_update reference). These route by the integration's `wabaId`.
 */
const WABA_FIELDS: ReadonlySet<string> = new Set([
  'message_template_status_update',
  'message_template_quality_update',
  'template_category_update',
  // "a template is edited" (…/webhooks/reference/message_template_components_update)
  'message_template_components_update',
]);

/** The WABA ids of entries holding template changes. */
export function wabaIds(payload: unknown): string[] {
  if (!isRecord(payload)) return [];
  const ids = asRecords(payload.entry)
    .filter((entry) => asRecords(entry.changes).some((c) => WABA_FIELDS.has(asString(c.field) ?? '')))
    .map((entry) => asId(entry.id));
  return [...new Set(ids.filter((id): id is string => id !== undefined))];
}

/** Keeps only one WABA's template changes. */
export function selectWaba(payload: unknown, wabaId: string): unknown {
  if (!isRecord(payload)) return payload;
  const entry = asRecords(payload.entry)
    .filter((e) => asId(e.id) === wabaId)
    .map((e) => ({ ...e, changes: asRecords(e.changes).filter((c) => WABA_FIELDS.has(asString(c.field) ?? '')) }))
    .filter((e) => e.changes.length > 0);
  return { ...payload, entry };
}

/** Template status/quality/category changes of a delivery, one event each. */
export function templateEventsOf(payload: unknown): ExtractedEvent[] {
  if (!isRecord(payload)) return [];
  const events: ExtractedEvent[] = [];
  for (const entry of asRecords(payload.entry)) {
    const wabaId = asId(entry.id);
    const time = asNumber(entry.time);
    for (const change of asRecords(entry.changes)) {
      const field = asString(change.field) ?? '';
      if (!WABA_FIELDS.has(field) || !isRecord(change.value)) continue;
      const value = change.value;
      const templateId = asId(value.message_template_id);
      if (!templateId) continue;
      const what = asString(value.event) ?? asString(value.new_quality_score) ?? asString(value.new_category) ?? '';
      events.push({
        externalId: `${field}:${templateId}:${what}:${time ?? ''}`,
        eventType: 'template_update',
        payload: { field, wabaId, time, ...value, message_template_id: templateId },
      });
    }
  }
  return events;
}

/** `user_preferences` changes (a user stopped or resumed marketing messages), one event per preference. */
function userPreferenceEventsOf(value: JsonRecord, phoneNumberId: string): ExtractedEvent[] {
  return asRecords(value.user_preferences).flatMap((pref) => {
    const waId = asId(pref.wa_id);
    const choice = asString(pref.value);
    if (!waId || !choice) return [];
    const timestamp = asId(pref.timestamp) ?? '';
    return [
      {
        externalId: `user_preferences:${waId}:${asString(pref.category) ?? ''}:${choice}:${timestamp}`,
        eventType: 'user_preferences',
        payload: {
          phoneNumberId,
          waId,
          userId: asString(pref.user_id),
          category: asString(pref.category),
          value: choice,
          timestamp,
        },
      },
    ];
  });
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
 * (sent, delivered, read), so a status event's id is `<wamid>:<status>`. Errors about the number
 * itself (`value.errors`) are one `errors` event per number: WhatsApp gives them no id, so the
 * delivery's hash stands in (a redelivery is a duplicate). Other change fields (account updates)
 * give no event.
 */
export function extractWhatsAppEvents(payload: unknown, ownPhoneNumberId?: string): ExtractedEvent[] {
  const events: ExtractedEvent[] = [];
  const valueErrors = new Map<string, WhatsAppValueErrorsEvent>();
  for (const { phoneNumberId, value } of messageChanges(payload)) {
    // API.md "Webhooks": WhatsApp changes are routed by `metadata.phone_number_id`. A change about another
    // number (one of the WABA's numbers no integration holds, sent to this integration's own URL) is not
    // this number's: stored here it became a conversation of this number (one per contact per number),
    // its window opened this number's free-form replies and its agents read another number's inbox
    if (ownPhoneNumberId !== undefined && phoneNumberId !== ownPhoneNumberId) continue;
    for (const message of messageEventsOf(value, phoneNumberId))
      events.push({ externalId: message.id, eventType: 'message', payload: message });
    for (const status of statusEventsOf(value, phoneNumberId))
      events.push({ externalId: `${status.id}:${status.status}`, eventType: 'status', payload: status });
    events.push(...userPreferenceEventsOf(value, phoneNumberId));
    const errors = errorsOf(value.errors);
    if (errors.length > 0) {
      const known = valueErrors.get(phoneNumberId);
      if (known) known.errors.push(...errors);
      else valueErrors.set(phoneNumberId, { phoneNumberId, errors });
    }
  }
  for (const errors of valueErrors.values()) events.push({ externalId: null, eventType: 'errors', payload: errors });
  events.push(...templateEventsOf(payload));
  return events;
}

export const whatsAppWebhook: WebhookSpec = {
  routing: 'provider',
  routingKeys: phoneNumberIds,
  routingKeyOf: (config) => optionalConfigString(config, 'phoneNumberId'),
  selectForRoutingKey: selectPhoneNumber,
  secondaryRouting: { configField: 'wabaId', keys: wabaIds, select: selectWaba },
  verificationFields: META_VERIFICATION_FIELDS,
  verify: verifyHubSignature,
  extractEvents: (payload, _req, config) =>
    extractWhatsAppEvents(payload, config ? optionalConfigString(config, 'phoneNumberId') : undefined),
  handshake: hubHandshake,
};
