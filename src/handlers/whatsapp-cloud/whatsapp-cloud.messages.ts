// Inbound messages read out of a change value (text, media, orders, Flow replies): apart from statuses and narrowing.
import { asId, asNumber, asRecords, asString, isRecord, JsonRecord } from '../shared/json';
import {
  compact,
  contactKey,
  errorsOf,
  referralOf,
  WhatsAppContactIdentity,
  WhatsAppIdentityChange,
  WhatsAppMessageEvent,
} from './whatsapp-cloud.payload';

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

/**
 * Why WhatsApp could not deliver an inbound message's content: a message of a type Cloud API does
 * not support arrives as `type: "unsupported"` with `errors[]` (messages webhook reference, "Unsupported
 * messages"; fixtures/NOTES.md §2) and nothing else to show, so the errors are its content.
 */
function withErrors(content: JsonRecord | undefined, message: JsonRecord): JsonRecord | undefined {
  const errors = errorsOf(message.errors);
  return errors.length > 0 ? { ...content, errors } : content;
}
