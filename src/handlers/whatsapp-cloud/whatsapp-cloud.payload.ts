/**
 * WhatsApp Cloud API webhook payloads, narrowed from `unknown` into the typed shapes the hub stores
 * (one event per message or status) and the WhatsApp module builds conversations on.
 *
 * Identity (developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids,
 * "Business-scoped user IDs", and …/webhooks/reference/messages/system): since 2026 every user also
 * has a business-scoped user id (BSUID, `CC.<alphanumerics>`, e.g. `US.13491208655302741918`), sent as
 * `contacts[].user_id` / `messages[].from_user_id`. A user who adopted a username may arrive with the
 * BSUID only: no `wa_id`, no `from`. A contact is keyed by `wa_id` when present, otherwise by the
 * BSUID; `user_changed_user_id` system messages report a new BSUID.
 */
import { asId, asNumber, asRecords, asString, isRecord, JsonRecord } from '../shared/json';
import { instantMs } from '../shared/instant';

/** Who a message is from, as far as WhatsApp tells. At least one of waId and userId is set. */
export interface WhatsAppContactIdentity {
  /** The WhatsApp id: the phone number's digits (absent for a username-only user). */
  waId?: string;
  /** Business-scoped user id (BSUID). */
  userId?: string;
  /** The BSUID shared across a parent business's portfolios (`US.ENT.…`), when enrolled. */
  parentUserId?: string;
  username?: string;
  profileName?: string;
}

/** The key a contact is known by: wa_id when present, else the BSUID (issue 10 point 5). */
export function contactKey(contact: WhatsAppContactIdentity): string | undefined {
  return contact.waId ?? contact.userId;
}

/** A BSUID: a two-letter country code, a dot, then up to 128 alphanumerics (ENT ones have a second segment). */
export const BSUID_PATTERN = /^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$/;

/** A click-to-WhatsApp ad (or post) the user came from (`messages[].referral`). */
export interface WhatsAppReferral {
  sourceUrl?: string;
  /** The ad or post id (Meta ids can exceed 2^53; WhatsApp sends them as strings). */
  sourceId?: string;
  sourceType?: string;
  headline?: string;
  body?: string;
  mediaType?: string;
  /** Click id of the click-to-WhatsApp ad, for conversion reporting. */
  ctwaClid?: string;
}

/** A system message about the user's identity (`messages[].system`). */
export interface WhatsAppIdentityChange {
  type: 'user_changed_number' | 'user_changed_user_id';
  /** The new wa_id (user_changed_number). */
  newWaId?: string;
  /** The new BSUID (user_changed_user_id), and the one it replaces when WhatsApp says. */
  newUserId?: string;
  previousUserId?: string;
  body?: string;
}

/** Stored payload of a `message` event: one inbound message. */
export interface WhatsAppMessageEvent {
  phoneNumberId: string;
  /** The sender's wa_id (`messages[].from`), kept under this name for stored events. */
  from?: string;
  contact: WhatsAppContactIdentity;
  id: string;
  /** Unix seconds, as the string WhatsApp sends. */
  timestamp?: string;
  type?: string;
  text?: string;
  referral?: WhatsAppReferral;
  identityChange?: WhatsAppIdentityChange;
  /** Media messages (image, video, audio, document, sticker): Meta's media id and mime type. */
  media?: { id: string; mimeType?: string; caption?: string; filename?: string };
  /** What the other types carry: location, reaction, interactive/button reply ids, contacts. */
  content?: JsonRecord;
  /** The wamid this message replies to (`context.id`). */
  contextId?: string;
}

export interface WhatsAppStatusError {
  code?: number;
  title?: string;
  message?: string;
  details?: string;
}

/**
 * Stored payload of an `errors` event: errors WhatsApp reports about the number itself rather than a
 * message or status (`value.errors[]`: "a system-level problem", "an app- or account-level problem";
 * developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/errors,
 * fixtures/errors-value-level-130429.json).
 */
export interface WhatsAppValueErrorsEvent {
  phoneNumberId: string;
  errors: WhatsAppStatusError[];
}

/** Stored payload of a `status` event: one delivery status of an outbound message. */
export interface WhatsAppStatusEvent {
  phoneNumberId: string;
  id: string;
  status: string;
  timestamp?: string;
  /** The recipient's wa_id, and/or its BSUID (`recipient_user_id`). */
  recipientId?: string;
  recipientUserId?: string;
  errors: WhatsAppStatusError[];
  /** `pricing` as Meta sends it (category, type, pricing_model, billable). */
  pricing?: { category?: string; type?: string };
  /** Our message id, echoed from the send's biz_opaque_callback_data. */
  bizOpaqueCallbackData?: string;
}

/** Drops undefined values so stored payloads stay small and compare cleanly. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function referralOf(value: unknown): WhatsAppReferral | undefined {
  if (!isRecord(value)) return undefined;
  const referral = compact<WhatsAppReferral>({
    sourceUrl: asString(value.source_url) ?? asString(value.sourceUrl),
    sourceId: asId(value.source_id) ?? asId(value.sourceId),
    sourceType: asString(value.source_type) ?? asString(value.sourceType),
    headline: asString(value.headline),
    body: asString(value.body),
    mediaType: asString(value.media_type) ?? asString(value.mediaType),
    ctwaClid: asString(value.ctwa_clid) ?? asString(value.ctwaClid),
  });
  return Object.keys(referral).length > 0 ? referral : undefined;
}

/** Errors as WhatsApp reports them on statuses, messages and values: code, title, message, error_data.details. */
export function errorsOf(value: unknown): WhatsAppStatusError[] {
  return asRecords(value).map((e) =>
    compact<WhatsAppStatusError>({
      code: asNumber(e.code),
      title: asString(e.title),
      message: asString(e.message),
      details: isRecord(e.error_data) ? asString(e.error_data.details) : undefined,
    }),
  );
}

/** The statuses of one `messages` change value (sent, delivered, read, failed …). */
export function statusEventsOf(value: JsonRecord, phoneNumberId: string): WhatsAppStatusEvent[] {
  const events: WhatsAppStatusEvent[] = [];
  for (const status of asRecords(value.statuses)) {
    const id = asString(status.id);
    const state = asString(status.status);
    if (!id || !state) continue;
    events.push(
      compact<WhatsAppStatusEvent>({
        phoneNumberId,
        id,
        status: state,
        timestamp: asId(status.timestamp),
        recipientId: asId(status.recipient_id),
        recipientUserId: asString(status.recipient_user_id),
        pricing: isRecord(status.pricing)
          ? compact({ category: asString(status.pricing.category), type: asString(status.pricing.type) })
          : undefined,
        bizOpaqueCallbackData: asString(status.biz_opaque_callback_data),
        errors: errorsOf(status.errors),
      }),
    );
  }
  return events;
}

/** Narrows a stored `message` payload (written by messageEventsOf, or by its earlier shape with `from` and `contactName`). */
export function narrowMessageEvent(payload: unknown): WhatsAppMessageEvent | undefined {
  if (!isRecord(payload)) return undefined;
  const id = asString(payload.id);
  const phoneNumberId = asId(payload.phoneNumberId);
  const stored = isRecord(payload.contact) ? payload.contact : {};
  const contact = compact<WhatsAppContactIdentity>({
    waId: asId(stored.waId) ?? asId(payload.from),
    userId: asString(stored.userId),
    parentUserId: asString(stored.parentUserId),
    username: asString(stored.username),
    profileName: asString(stored.profileName) ?? asString(payload.contactName),
  });
  const change = isRecord(payload.identityChange) ? payload.identityChange : undefined;
  const changeType = change ? asString(change.type) : undefined;
  const identityChange =
    change && (changeType === 'user_changed_number' || changeType === 'user_changed_user_id')
      ? compact<WhatsAppIdentityChange>({
          type: changeType,
          newWaId: asId(change.newWaId),
          newUserId: asString(change.newUserId),
          previousUserId: asString(change.previousUserId),
          body: asString(change.body),
        })
      : undefined;
  if (!id || !phoneNumberId || (contactKey(contact) === undefined && !identityChange)) return undefined;
  return compact<WhatsAppMessageEvent>({
    phoneNumberId,
    from: contact.waId,
    contact,
    id,
    timestamp: asId(payload.timestamp),
    type: asString(payload.type),
    text: asString(payload.text),
    referral: referralOf(payload.referral),
    identityChange,
    media:
      isRecord(payload.media) && asId(payload.media.id)
        ? compact({
            id: asId(payload.media.id) ?? '',
            mimeType: asString(payload.media.mimeType),
            caption: asString(payload.media.caption),
            filename: asString(payload.media.filename),
          })
        : undefined,
    content: isRecord(payload.content) ? payload.content : undefined,
    contextId: asString(payload.contextId),
  });
}

export function narrowStatus(payload: unknown): string | undefined {
  return isRecord(payload) ? asString(payload.status) : undefined;
}

/** Unix seconds (string or number) → ISO-8601. */
export function unixToIso(value: string | undefined): string | undefined {
  const seconds = asNumber(value);
  const ms = seconds === undefined ? undefined : instantMs(seconds * 1000);
  return ms === undefined ? undefined : new Date(ms).toISOString();
}
