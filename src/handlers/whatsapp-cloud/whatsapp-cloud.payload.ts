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

/** The words of a message: text, a quick-reply button, an interactive reply, or a media caption. */
function textOf(message: JsonRecord): string | undefined {
  const text = isRecord(message.text) ? asString(message.text.body) : undefined;
  if (text) return text;
  const button = isRecord(message.button) ? asString(message.button.text) : undefined;
  if (button) return button;
  if (isRecord(message.interactive)) {
    const { button_reply: buttonReply, list_reply: listReply, nfm_reply: nfmReply } = message.interactive;
    const title =
      (isRecord(buttonReply) ? asString(buttonReply.title) : undefined) ??
      (isRecord(listReply) ? asString(listReply.title) : undefined) ??
      (isRecord(nfmReply) ? asString(nfmReply.body) : undefined);
    if (title) return title;
  }
  if (isRecord(message.system)) return asString(message.system.body);
  if (asString(message.type) === 'order' && isRecord(message.order)) return orderText(message.order);
  const type = asString(message.type);
  const media = type ? message[type] : undefined;
  return isRecord(media) ? asString(media.caption) : undefined;
}

/** Drops undefined values so stored payloads stay small and compare cleanly. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function referralOf(value: unknown): WhatsAppReferral | undefined {
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

/**
 * An identity system message. WhatsApp's field names for the new ids are read as several
 * integrations quote them (`wa_id` / `new_wa_id`, `user_id`, `previous_user_id`); the official
 * reference's syntax block was only partly readable (see fixtures/README.md).
 */
function identityChangeOf(message: JsonRecord): WhatsAppIdentityChange | undefined {
  if (!isRecord(message.system)) return undefined;
  const system = message.system;
  const type = asString(system.type);
  if (type !== 'user_changed_number' && type !== 'user_changed_user_id') return undefined;
  return compact<WhatsAppIdentityChange>({
    type,
    newWaId: asId(system.wa_id) ?? asId(system.new_wa_id),
    newUserId: asString(system.user_id) ?? asString(system.new_user_id),
    previousUserId: asString(system.previous_user_id) ?? asString(message.from_user_id),
    body: asString(system.body),
  });
}

function identityOf(contact: JsonRecord | undefined, message: JsonRecord): WhatsAppContactIdentity {
  const profile = contact && isRecord(contact.profile) ? contact.profile : {};
  return compact<WhatsAppContactIdentity>({
    waId: asId(message.from) ?? asId(contact?.wa_id),
    userId: asString(message.from_user_id) ?? asString(contact?.user_id),
    parentUserId: asString(message.from_parent_user_id) ?? asString(contact?.parent_user_id),
    username: asString(profile.username) ?? asString(contact?.username),
    profileName: asString(profile.name),
  });
}

/** The messages of one `messages` change value, each with its sender's identity. */
export function messageEventsOf(value: JsonRecord, phoneNumberId: string): WhatsAppMessageEvent[] {
  const contacts = asRecords(value.contacts);
  const events: WhatsAppMessageEvent[] = [];
  for (const message of asRecords(value.messages)) {
    const id = asString(message.id);
    if (!id) continue;
    const from = asId(message.from);
    const fromUserId = asString(message.from_user_id);
    const contact =
      contacts.find(
        (c) =>
          (from !== undefined && asId(c.wa_id) === from) ||
          (fromUserId !== undefined && asString(c.user_id) === fromUserId),
      ) ?? (contacts.length === 1 ? contacts[0] : undefined);
    const identity = identityOf(contact, message);
    const identityChange = identityChangeOf(message);
    // a message from nobody WhatsApp can name cannot be answered or attributed
    if (contactKey(identity) === undefined && identityChange === undefined) continue;
    events.push(
      compact<WhatsAppMessageEvent>({
        phoneNumberId,
        from: identity.waId,
        contact: identity,
        id,
        timestamp: asId(message.timestamp),
        type: asString(message.type),
        text: textOf(message),
        referral: referralOf(message.referral),
        identityChange,
        media: mediaOf(message),
        content: withErrors(withReferredProduct(contentOf(message), message), message),
        contextId: isRecord(message.context) ? asString(message.context.id) : undefined,
      }),
    );
  }
  return events;
}

const MEDIA_TYPES: ReadonlySet<string> = new Set(['image', 'video', 'audio', 'document', 'sticker']);

function mediaOf(message: JsonRecord): WhatsAppMessageEvent['media'] {
  const type = asString(message.type) ?? '';
  const media = MEDIA_TYPES.has(type) ? message[type] : undefined;
  if (!isRecord(media)) return undefined;
  const id = asId(media.id);
  if (!id) return undefined;
  return compact({
    id,
    mimeType: asString(media.mime_type),
    caption: asString(media.caption),
    filename: asString(media.filename),
  });
}

/** The structured part of location, reaction, interactive, button and contacts messages. */
function contentOf(message: JsonRecord): JsonRecord | undefined {
  const type = asString(message.type) ?? '';
  if (type === 'location' && isRecord(message.location)) {
    const l = message.location;
    return compact({
      latitude: asNumber(l.latitude),
      longitude: asNumber(l.longitude),
      name: asString(l.name),
      address: asString(l.address),
    });
  }
  if (type === 'reaction' && isRecord(message.reaction))
    return compact({ messageId: asString(message.reaction.message_id), emoji: asString(message.reaction.emoji) });
  if (type === 'button' && isRecord(message.button))
    return compact({ payload: asString(message.button.payload), text: asString(message.button.text) });
  if (type === 'interactive' && isRecord(message.interactive)) {
    const i = message.interactive;
    if (isRecord(i.nfm_reply)) return flowReplyOf(i.nfm_reply);
    const reply = isRecord(i.button_reply) ? i.button_reply : isRecord(i.list_reply) ? i.list_reply : undefined;
    return compact({
      kind: asString(i.type),
      id: reply ? asString(reply.id) : undefined,
      title: reply ? asString(reply.title) : undefined,
      description: reply ? asString(reply.description) : undefined,
    });
  }
  if (type === 'order' && isRecord(message.order)) return orderOf(message.order);
  if (type === 'contacts' && Array.isArray(message.contacts)) return { contacts: message.contacts };
  return undefined;
}

/**
 * An order placed from a catalog, single- or multi-product message (messages webhook reference,
 * "Order messages": developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/order;
 * schema OrderMessage of facebook/openapi business-messaging-api_v23.0.yaml; fixtures/inbound-order.openapi-example.json):
 * `order.catalog_id`, `order.text` (the user's note, often ""), `order.product_items[]` with
 * product_retailer_id, quantity, item_price (a float, per unit) and currency. The items are the order.
 */
function orderOf(order: JsonRecord): JsonRecord {
  return compact({
    catalogId: asId(order.catalog_id),
    text: asString(order.text),
    productItems: asRecords(order.product_items).map((item) =>
      compact({
        productRetailerId: asId(item.product_retailer_id),
        quantity: quantityOf(item.quantity),
        itemPrice: priceOf(item.item_price),
        currency: asString(item.currency),
      }),
    ),
  });
}

/**
 * A quantity is a whole number of units, at least 1; a price a plain amount, not negative. asNumber read
 * -5, 2.5, 1e308 and "0x10" (16) as quantities, which were stored and shown as the order: a value no
 * order has is left out rather than kept.
 */
function quantityOf(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^[0-9]{1,15}$/.test(value.trim()) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 1 ? n : undefined;
}

function priceOf(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^[0-9]+(\.[0-9]+)?$/.test(value.trim()) ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** The user's note with the order, or a line naming its items (an order's `text` is usually empty). */
function orderText(order: JsonRecord): string | undefined {
  const note = asString(order.text)?.trim();
  if (note) return note;
  const items = asRecords(order.product_items).map((item) => {
    const id = asId(item.product_retailer_id) ?? '?';
    const quantity = quantityOf(item.quantity) ?? '?';
    const price = priceOf(item.item_price);
    const currency = asString(item.currency);
    return `${quantity} × ${id}${price !== undefined ? ` @ ${price}${currency ? ` ${currency}` : ''}` : ''}`;
  });
  return items.length > 0 ? `Order: ${items.join(', ')}` : undefined;
}

/**
 * A WhatsApp Flow's answer (`interactive.type: "nfm_reply"`; developers.facebook.com/documentation/
 * business-messaging/whatsapp/flows/guides/receiveflowresponse, "Receiving Flow Response"):
 * `nfm_reply.name` ("flow", or "address_message"), `body` ("Sent") and `response_json`, a *string*
 * of JSON holding the flow_token and the answers the Flow collected. The string is kept as sent (its
 * answers are whatever the Flow defines; parsed here they could hold what jsonb cannot store and cost
 * the whole delivery), with the flow_token beside it to tell which Flow it answers.
 */
function flowReplyOf(reply: JsonRecord): JsonRecord {
  const responseJson = typeof reply.response_json === 'string' ? reply.response_json : undefined;
  return compact({
    kind: 'nfm_reply',
    name: asString(reply.name),
    body: asString(reply.body),
    responseJson,
    flowToken: responseJson !== undefined ? flowTokenOf(responseJson) : undefined,
  });
}

function flowTokenOf(responseJson: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(responseJson);
    const token = isRecord(parsed) ? asString(parsed.flow_token) : undefined;
    // lifted only when plainly printable: the raw string keeps any other token
    return token !== undefined && /^[\x20-\x7E]{1,512}$/.test(token) ? token : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The product a message asks about: a text sent with "Message business" on a catalog, single- or
 * multi-product message carries `context.referred_product` {catalog_id, product_retailer_id}
 * (developers.facebook.com/documentation/business-messaging/whatsapp/catalogs/receive-responses and
 * …/webhooks/reference/messages/text, "Message business button"; fixtures/inbound-text-message-business-button.json).
 * Without it the text ("Is this still available?") loses what it is about.
 */
function withReferredProduct(content: JsonRecord | undefined, message: JsonRecord): JsonRecord | undefined {
  const product =
    isRecord(message.context) && isRecord(message.context.referred_product)
      ? message.context.referred_product
      : undefined;
  if (!product) return content;
  const referredProduct = compact({
    catalogId: asId(product.catalog_id),
    productRetailerId: asId(product.product_retailer_id),
  });
  return Object.keys(referredProduct).length > 0 ? { ...content, referredProduct } : content;
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

/**
 * Why WhatsApp could not deliver an inbound message's content: a message of a type Cloud API does
 * not support arrives as `type: "unsupported"` with `errors[]` (messages webhook reference, "Unsupported
 * messages"; fixtures/NOTES.md §2) and nothing else to show, so the errors are its content.
 */
function withErrors(content: JsonRecord | undefined, message: JsonRecord): JsonRecord | undefined {
  const errors = errorsOf(message.errors);
  return errors.length > 0 ? { ...content, errors } : content;
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
