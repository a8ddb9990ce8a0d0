import { createHash } from 'node:crypto';
import type {
  BookingInput,
  InteractionInput,
  LeadInput,
  LeadPipelineStageChange,
  LeadSourceInput,
  LeadStatus,
  LeadStatusChange,
} from '../handler-types';
import { instantMs } from '../shared/instant';
import { asArray, asId, asNumber, asRecords, asString, isRecord, JsonRecord } from '../shared/json';

/**
 * GoHighLevel webhook payloads and API contacts, narrowed from `unknown`. Payloads are flat (the
 * contact's fields at the top level) except Appointment events, which nest under `appointment`.
 */

/** Drops undefined values so results compare and serialize cleanly. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function appointmentOf(payload: JsonRecord): JsonRecord | undefined {
  return isRecord(payload.appointment) ? payload.appointment : undefined;
}

export function ghlEventType(payload: unknown): string {
  return (isRecord(payload) ? asString(payload.type) : undefined) ?? 'unknown';
}

/** The location (sub-account) a delivery is about: GoHighLevel's routing key. */
export function ghlLocationId(payload: unknown): string | undefined {
  if (!isRecord(payload)) return undefined;
  return asId(payload.locationId) ?? asId(payload.location_id) ?? asId(appointmentOf(payload)?.locationId);
}

/**
 * The delivery's id for deduplication: `webhookId` when GoHighLevel sends it (its auth guide says
 * it does). Otherwise `${type}:${objectId}:${dateUpdated | timestamp}`, and when the payload has
 * neither date, a hash of its content instead: ContactUpdate fixtures carry only `dateAdded`,
 * which would make every later update of a contact look like a redelivery of the first one.
 */
export function ghlEventExternalId(payload: unknown): string | null {
  if (!isRecord(payload)) return null;
  const webhookId = asId(payload.webhookId);
  if (webhookId !== undefined) return webhookId;
  const appointment = appointmentOf(payload);
  const objectId = asId(payload.id) ?? asId(appointment?.id) ?? asId(payload.messageId) ?? asId(payload.contactId);
  if (objectId === undefined) return null;
  const date =
    asString(payload.dateUpdated) ??
    asId(payload.timestamp) ??
    asString(appointment?.dateUpdated) ??
    // a message's dateAdded is when it happened, unlike a contact's
    (payload.messageType !== undefined ? asString(payload.dateAdded) : undefined) ??
    `sha256-${createHash('sha256').update(JSON.stringify(payload)).digest('hex').slice(0, 32)}`;
  return `${ghlEventType(payload)}:${objectId}:${date}`;
}

function stringList(value: unknown): string[] | undefined {
  const items = asArray(value)
    .map((item) => asString(item))
    .filter((item): item is string => item !== undefined);
  return items.length > 0 ? items : undefined;
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return asString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value))
    return stringList(asArray(value).map((v: unknown) => (typeof v === 'number' ? String(v) : v)))?.join(', ');
  return undefined;
}

/** Custom fields arrive as [{id, value}] without their names, so they are keyed by field id. */
function customAnswers(value: unknown): Record<string, string> | undefined {
  const answers: Record<string, string> = {};
  for (const field of asRecords(value)) {
    const id = asId(field.id);
    const text = scalarText(field.value);
    if (id !== undefined && text !== undefined) answers[id] = text;
  }
  return Object.keys(answers).length > 0 ? answers : undefined;
}

/** First-touch attribution: `attributionSource` (contact, upsert) or the first of `attributions` (search). */
function attributionOf(contact: JsonRecord): JsonRecord | undefined {
  if (isRecord(contact.attributionSource)) return contact.attributionSource;
  const all = asRecords(contact.attributions);
  return all.find((a) => a.isFirst === true) ?? all[0];
}

/**
 * Where the contact came from, as GoHighLevel says it: the contact's `source` ("xyz form" in
 * docs/webhook events/ContactCreate.md, the only attribution a contact webhook carries) and, from
 * `attributionSource` (apps/contacts.json), its medium, landing page and referrer.
 */
function sourceDetails(contact: JsonRecord, attribution: JsonRecord | undefined): Record<string, string> | undefined {
  const given = Object.entries({
    source: asString(contact.source),
    medium: asString(attribution?.medium),
    url: asString(attribution?.url),
    referrer: asString(attribution?.referrer),
  }).filter((entry): entry is [string, string] => entry[1] !== undefined);
  return given.length > 0 ? Object.fromEntries(given) : undefined;
}

function leadSource(contact: JsonRecord): LeadSourceInput {
  const attribution = attributionOf(contact);
  const details = sourceDetails(contact, attribution);
  if (!attribution) return details ? { details } : {};
  const medium = asString(attribution.medium)?.toLowerCase();
  return compact({
    details,
    campaignId: asId(attribution.campaignId),
    campaignName: asString(attribution.campaign) ?? asString(attribution.utmCampaign),
    // mediumId is the id of the medium the contact came through: a form/survey id for those media
    formId: medium === 'form' || medium === 'survey' ? asId(attribution.mediumId) : undefined,
    gclid: asString(attribution.gclid),
  });
}

/** One mapping for ContactCreate/ContactUpdate webhooks and contacts listed by the API (sync). */
export function contactToLead(contact: JsonRecord): LeadInput | undefined {
  const externalId = asId(contact.id);
  if (externalId === undefined) return undefined;
  return compact<LeadInput>({
    platform: 'gohighlevel',
    externalId,
    fullName: asString(contact.name) ?? asString(contact.contactName),
    firstName: asString(contact.firstName),
    lastName: asString(contact.lastName),
    email: asString(contact.email),
    phone: asString(contact.phone),
    company: asString(contact.companyName),
    city: asString(contact.city),
    region: asString(contact.state),
    postalCode: asString(contact.postalCode),
    country: asString(contact.country),
    tags: stringList(contact.tags),
    customAnswers: customAnswers(contact.customFields),
    submittedAt: asString(contact.dateAdded),
    // contacts listed by the API (sync) carry their last change; the webhooks may not
    observedAt: asString(contact.dateUpdated),
    source: leadSource(contact),
  });
}

/**
 * AppointmentCreate/Update/Delete (docs/webhook events/Appointment*.md): the booking as it is now.
 * An update carries the new times (a reschedule) and `appointmentStatus` (`cancelled` for a
 * cancellation); a deleted appointment is kept as a booking with status `deleted`.
 */
export function appointmentToBooking(payload: JsonRecord, deleted = false): BookingInput | undefined {
  const appointment = appointmentOf(payload);
  const contactId = asId(appointment?.contactId);
  const bookingId = asId(appointment?.id);
  if (!appointment || contactId === undefined || bookingId === undefined) return undefined;
  return compact<BookingInput>({
    platform: 'gohighlevel',
    externalId: contactId,
    externalBookingId: bookingId,
    calendarId: asId(appointment.calendarId),
    title: asString(appointment.title),
    startTime: asString(appointment.startTime),
    endTime: asString(appointment.endTime),
    status: deleted ? 'deleted' : asString(appointment.appointmentStatus),
    changedAt: firstInstant(appointment.dateUpdated, payload.timestamp),
  });
}

/** OpportunityStageUpdate (docs/webhook events/OpportunityStageUpdate.md): where the contact's deal now is. */
export function opportunityStageChange(payload: JsonRecord): LeadPipelineStageChange | undefined {
  const contactId = asId(payload.contactId);
  const opportunityId = asId(payload.id);
  const pipelineId = asId(payload.pipelineId);
  const stageId = asId(payload.pipelineStageId);
  if (contactId === undefined || opportunityId === undefined || pipelineId === undefined || stageId === undefined)
    return undefined;
  return compact<LeadPipelineStageChange>({
    platform: 'gohighlevel',
    externalId: contactId,
    opportunityId,
    pipelineId,
    stageId,
    opportunityStatus: asString(payload.status),
    changedAt: firstInstant(payload.dateUpdated, payload.timestamp),
  });
}

function timestampText(value: unknown): string | undefined {
  if (typeof value === 'string') return asString(value);
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  const date = new Date(value < 1e11 ? value * 1000 : value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/**
 * When a change happened: the first of the given dates (the record's `dateUpdated`, then the
 * delivery's `timestamp` …) that names a real instant. A date that names none orders nothing
 * (undefined: the handler dates the change with the delivery's arrival), rather than sorting as
 * "always newest" (bookings) or "older than everything" (pipeline stages, contacts).
 */
export function firstInstant(...dates: unknown[]): string | undefined {
  return dates.map(timestampText).find((text) => text !== undefined && instantMs(Date.parse(text)) !== undefined);
}

const OPPORTUNITY_STATUS: Readonly<Record<string, LeadStatus>> = { won: 'CONVERTED', lost: 'LOST', abandoned: 'LOST' };

/** A won/lost/abandoned opportunity moves its contact's lead; `open` (and unknown statuses) do not. */
export function opportunityStatusChange(payload: JsonRecord): { change: LeadStatusChange } | { ignoredReason: string } {
  const status = asString(payload.status)?.toLowerCase() ?? 'missing';
  const leadStatus = OPPORTUNITY_STATUS[status];
  if (!leadStatus) return { ignoredReason: `opportunity status ${status} is not applied` };
  const contactId = asId(payload.contactId);
  if (contactId === undefined) return { ignoredReason: 'opportunity has no contactId' };
  // a date that names no instant orders nothing: the handler dates the change with the delivery instead
  const changedAt = [asString(payload.dateUpdated), timestampText(payload.timestamp)]
    .map((text) => (text === undefined ? undefined : instantMs(Date.parse(text))))
    .find((ms) => ms !== undefined);
  return {
    change: {
      platform: 'gohighlevel',
      externalId: contactId,
      status: leadStatus,
      ...(changedAt !== undefined ? { changedAt: new Date(changedAt).toISOString() } : {}),
    },
  };
}

/** `SMS` → `sms`, `CALL` → `call`; the conversations API spells the same types `TYPE_SMS`. */
function channelOf(messageType: unknown): string {
  return (asString(messageType) ?? 'unknown').toLowerCase().replace(/^type_/, '');
}

const CALL_CHANNELS: ReadonlySet<string> = new Set(['call', 'voicemail']);

/** 120 → '2 min 0 s', 45 → '45 s'. */
function durationText(seconds: number): string {
  const whole = Math.round(seconds);
  return whole >= 60 ? `${Math.floor(whole / 60)} min ${whole % 60} s` : `${whole} s`;
}

/**
 * A call or voicemail in words: there is no `body`, the call is its status and length
 * (docs/webhook events/InboundMessage.md and OutboundMessage.md of GoHighLevel/highlevel-api-docs @
 * 0af86a4, "Call Status Details": answered → `status` and `callStatus` `completed`; voicemail →
 * `callStatus` `voicemail` (and, inbound, `status` `voicemail`); `callDuration` in seconds; a
 * VoiceMail sent by a workflow has `status` only).
 */
function callText(payload: JsonRecord, channel: string): string {
  const status = asString(payload.callStatus) ?? asString(payload.status);
  const duration = asNumber(payload.callDuration);
  const parts = [status, duration !== undefined && duration >= 0 ? durationText(duration) : undefined].filter(
    (part): part is string => part !== undefined,
  );
  const what = channel === 'voicemail' ? 'Voicemail' : 'Call';
  return parts.length > 0 ? `${what}: ${parts.join(', ')}` : what;
}

/**
 * The interaction's words: the message body, or for a call what happened; then the attachments
 * (`attachments`, an array of URLs in GoHighLevel's examples: "call recording url", "voicemail url"),
 * one a line, so a recording or a picture sent by SMS is not lost. Attachments given as objects
 * (`{ url }`) are read too (**UNCONFIRMED**: the docs type the array's items nowhere).
 */
function interactionBody(payload: JsonRecord, channel: string): string | undefined {
  const text = CALL_CHANNELS.has(channel) ? callText(payload, channel) : asString(payload.body);
  const label = channel === 'call' ? 'Recording' : channel === 'voicemail' ? 'Voicemail' : 'Attachment';
  const attachments = asArray(payload.attachments)
    .map((item: unknown) => asString(item) ?? (isRecord(item) ? asString(item.url) : undefined))
    .filter((url): url is string => url !== undefined)
    .map((url) => `${label}: ${url}`);
  const lines = [text, ...attachments].filter((line): line is string => line !== undefined);
  return lines.length > 0 ? lines.join('\n') : undefined;
}

/**
 * InboundMessage/OutboundMessage events. The direction comes from the payload's own `direction`
 * when present: the docs' inbound call example is labelled `OutboundMessage` with
 * `direction: "inbound"` (fixtures/InboundMessage.call-labelled-OutboundMessage-in-docs.json).
 */
export function messageToInteraction(
  payload: JsonRecord,
  fallback: 'inbound' | 'outbound',
): InteractionInput | undefined {
  const contactId = asId(payload.contactId);
  if (contactId === undefined) return undefined;
  const direction = payload.direction === 'inbound' || payload.direction === 'outbound' ? payload.direction : fallback;
  const channel = channelOf(payload.messageType);
  return compact<InteractionInput>({
    platform: 'gohighlevel',
    externalId: contactId,
    channel,
    direction,
    body: interactionBody(payload, channel),
    occurredAt: asString(payload.dateAdded),
    externalMessageId: asId(payload.messageId),
  });
}
