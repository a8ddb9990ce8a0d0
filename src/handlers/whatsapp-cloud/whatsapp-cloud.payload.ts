import { asId, asNumber, asRecords, asString, isRecord, JsonRecord } from '../shared/json';

/** A click-to-WhatsApp ad (or post) the user came from. */
export interface WhatsAppReferral {
  sourceUrl?: string;
  /** The ad or post id (Meta ids can exceed 2^53; WhatsApp sends them as strings). */
  sourceId?: string;
  sourceType?: string;
  headline?: string;
  body?: string;
  mediaType?: string;
  ctwaClid?: string;
}

/** Stored payload of a `message` event: one inbound message. */
export interface WhatsAppMessageEvent {
  phoneNumberId: string;
  from: string;
  contactName?: string;
  id: string;
  /** Unix seconds, as the string WhatsApp sends. */
  timestamp?: string;
  type?: string;
  text?: string;
  referral?: WhatsAppReferral;
}

export interface WhatsAppStatusError {
  code?: number;
  title?: string;
  message?: string;
  details?: string;
}

/** Stored payload of a `status` event: one delivery status of an outbound message. */
export interface WhatsAppStatusEvent {
  phoneNumberId: string;
  id: string;
  status: string;
  timestamp?: string;
  recipientId?: string;
  errors: WhatsAppStatusError[];
}

/** The words of a message: text, a quick-reply button, an interactive reply, or a media caption. */
function textOf(message: JsonRecord): string | undefined {
  const text = isRecord(message.text) ? asString(message.text.body) : undefined;
  if (text) return text;
  const button = isRecord(message.button) ? asString(message.button.text) : undefined;
  if (button) return button;
  if (isRecord(message.interactive)) {
    const { button_reply: buttonReply, list_reply: listReply } = message.interactive;
    const title =
      (isRecord(buttonReply) ? asString(buttonReply.title) : undefined) ??
      (isRecord(listReply) ? asString(listReply.title) : undefined);
    if (title) return title;
  }
  const type = asString(message.type);
  const media = type ? message[type] : undefined;
  return isRecord(media) ? asString(media.caption) : undefined;
}

function referralOf(value: unknown): WhatsAppReferral | undefined {
  if (!isRecord(value)) return undefined;
  const referral: WhatsAppReferral = {};
  const set = (key: keyof WhatsAppReferral, v: string | undefined): void => {
    if (v !== undefined) referral[key] = v;
  };
  set('sourceUrl', asString(value.source_url));
  set('sourceId', asId(value.source_id));
  set('sourceType', asString(value.source_type));
  set('headline', asString(value.headline));
  set('body', asString(value.body));
  set('mediaType', asString(value.media_type));
  set('ctwaClid', asString(value.ctwa_clid));
  return Object.keys(referral).length > 0 ? referral : undefined;
}

/** The messages of one `messages` change value, each with its sender's profile name. */
export function messageEventsOf(value: JsonRecord, phoneNumberId: string): WhatsAppMessageEvent[] {
  const contacts = asRecords(value.contacts);
  const events: WhatsAppMessageEvent[] = [];
  for (const message of asRecords(value.messages)) {
    const id = asString(message.id);
    const from = asId(message.from);
    if (!id || !from) continue;
    const contact = contacts.find((c) => asId(c.wa_id) === from) ?? (contacts.length === 1 ? contacts[0] : undefined);
    events.push({
      phoneNumberId,
      from,
      contactName: contact && isRecord(contact.profile) ? asString(contact.profile.name) : undefined,
      id,
      timestamp: asId(message.timestamp),
      type: asString(message.type),
      text: textOf(message),
      referral: referralOf(message.referral),
    });
  }
  return events;
}

/** The statuses of one `messages` change value (sent, delivered, read, failed …). */
export function statusEventsOf(value: JsonRecord, phoneNumberId: string): WhatsAppStatusEvent[] {
  const events: WhatsAppStatusEvent[] = [];
  for (const status of asRecords(value.statuses)) {
    const id = asString(status.id);
    const state = asString(status.status);
    if (!id || !state) continue;
    events.push({
      phoneNumberId,
      id,
      status: state,
      timestamp: asId(status.timestamp),
      recipientId: asId(status.recipient_id),
      errors: asRecords(status.errors).map((e) => ({
        code: asNumber(e.code),
        title: asString(e.title),
        message: asString(e.message),
        details: isRecord(e.error_data) ? asString(e.error_data.details) : undefined,
      })),
    });
  }
  return events;
}

/** Narrows a stored `message` payload (written by messageEventsOf). */
export function narrowMessageEvent(payload: unknown): WhatsAppMessageEvent | undefined {
  if (!isRecord(payload)) return undefined;
  const id = asString(payload.id);
  const from = asId(payload.from);
  const phoneNumberId = asId(payload.phoneNumberId);
  if (!id || !from || !phoneNumberId) return undefined;
  const referral = isRecord(payload.referral) ? payload.referral : undefined;
  return {
    phoneNumberId,
    from,
    id,
    contactName: asString(payload.contactName),
    timestamp: asId(payload.timestamp),
    type: asString(payload.type),
    text: asString(payload.text),
    referral: referral
      ? {
          sourceId: asId(referral.sourceId),
          sourceType: asString(referral.sourceType),
          sourceUrl: asString(referral.sourceUrl),
        }
      : undefined,
  };
}

export function narrowStatus(payload: unknown): string | undefined {
  return isRecord(payload) ? asString(payload.status) : undefined;
}

/** Unix seconds (string or number) → ISO-8601. */
export function unixToIso(value: string | undefined): string | undefined {
  const seconds = asNumber(value);
  return seconds !== undefined && seconds > 0 ? new Date(seconds * 1000).toISOString() : undefined;
}
