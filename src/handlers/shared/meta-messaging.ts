/**
 * Messenger Platform webhooks, shared by Facebook Messenger (`object: "page"`) and Instagram Direct
 * (`object: "instagram"`, the Messenger API for Instagram): every `entry[]` carries the page or
 * Instagram account it is about (`entry.id`) and its events in `messaging[]` (or `standby[]` while
 * another app of a handover flow holds the thread). Sources, cited again in each handler's fixtures:
 * developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events
 * (messages, message_echoes, messaging_postbacks, messaging_referrals, message_reactions,
 * message_deliveries, message_reads) and …/instagram-messaging/webhooks (messages incl. echoes,
 * messaging_seen, story mentions and replies).
 */
import { createHash } from 'node:crypto';
import type { ExtractedEvent } from '../integration-handler';
import { asArray, asBoolean, asId, asNumber, asRecords, asString, isRecord, JsonRecord } from './json';
import { instantMs } from './instant';

export type MessagingChannel = 'messenger' | 'instagram';
export type MessagingObject = 'page' | 'instagram';

export const OBJECT_OF: Readonly<Record<MessagingChannel, MessagingObject>> = {
  messenger: 'page',
  instagram: 'instagram',
};

/** A file, media or share in a message: its type as Meta names it and where it can be fetched. */
export interface MessagingAttachment {
  /** image, video, audio, file, sticker, reel, ig_reel, share, story_mention, fallback, template … */
  type: string;
  url?: string;
  /** The attachment's, sticker's or reel's id when Meta gives one instead of (or beside) a URL. */
  id?: string;
  title?: string;
}

/** Where a person came from: an m.me / ig.me link, or a click-to-Messenger / click-to-Instagram ad. */
export interface MessagingReferral {
  ref?: string;
  /** ADS, SHORTLINK, CUSTOMER_CHAT_PLUGIN … (kept as Meta sends it). */
  source?: string;
  type?: string;
  adId?: string;
  adTitle?: string;
  photoUrl?: string;
  videoUrl?: string;
  postId?: string;
  productId?: string;
  refererUri?: string;
}

interface EventBase {
  channel: MessagingChannel;
  /** The page id (Messenger) or Instagram professional account id the event belongs to. */
  accountId: string;
  /** The person: PSID (Messenger) or IGSID (Instagram). */
  contactId: string;
  /** Milliseconds since the epoch, as Meta stamps the event (seconds are scaled up). */
  timestamp?: number;
  /** Delivered under `standby`: another app of a handover flow held the thread. */
  standby: boolean;
}

/** A message the person sent. */
export interface InboundMessageEvent extends EventBase {
  kind: 'message';
  mid: string;
  text?: string;
  attachments: MessagingAttachment[];
  quickReplyPayload?: string;
  replyToMid?: string;
  /** A reply to one of the account's stories, or a mention of the account in the person's story (Instagram). */
  story?: { kind: 'reply' | 'mention'; id?: string; url?: string };
  referral?: MessagingReferral;
}

/** A message the page or account sent (from any app or the inbox): outbound, never a new inbound. */
export interface EchoEvent extends EventBase {
  kind: 'echo';
  mid: string;
  text?: string;
  attachments: MessagingAttachment[];
  appId?: string;
  metadata?: string;
}

/** A postback button, Get Started or persistent menu item (Messenger), an Icebreaker (Instagram). */
export interface PostbackEvent extends EventBase {
  kind: 'postback';
  mid?: string;
  title?: string;
  payload?: string;
  referral?: MessagingReferral;
}

export interface ReactionEvent extends EventBase {
  kind: 'reaction';
  /** The message reacted to. */
  mid: string;
  action: 'react' | 'unreact';
  reaction?: string;
  emoji?: string;
}

/**
 * The person unsent (deleted) a message: Instagram's `messages` webhook carries the message's mid with
 * `is_deleted: true` (Instagram Messaging webhooks, developers.facebook.com/documentation/business-
 * messaging/instagram-messaging/webhooks, `messages` field). The hub keeps no content of it.
 */
export interface UnsendEvent extends EventBase {
  kind: 'unsend';
  mid: string;
}

/**
 * The person edited a message they sent (Messenger `message_edits`: `message_edit: { mid, text, num_edit }`,
 * developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/
 * message-edits; at most five edits, counted by `num_edit`).
 */
export interface EditEvent extends EventBase {
  kind: 'edit';
  mid: string;
  text: string;
  /** How many times the message has been edited, this edit included. */
  numEdit?: number;
}

/** A person already in a thread came back through a link or an ad. */
export interface ReferralEvent extends EventBase {
  kind: 'referral';
  referral: MessagingReferral;
}

/** Messenger `message_deliveries`: every message sent before the watermark was delivered. */
export interface DeliveryEvent extends EventBase {
  kind: 'delivery';
  mids: string[];
  watermark?: number;
}

/** Messenger `message_reads` (a watermark) or Instagram `messaging_seen` (one message id). */
export interface ReadEvent extends EventBase {
  kind: 'read';
  watermark?: number;
  mid?: string;
}

export type MessagingEvent =
  | InboundMessageEvent
  | EchoEvent
  | PostbackEvent
  | ReactionEvent
  | ReferralEvent
  | DeliveryEvent
  | ReadEvent
  | UnsendEvent
  | EditEvent;

/** A person as the Graph API shows them to the page or account (fetched once per conversation). */
export interface MessagingContactProfile {
  name?: string;
  firstName?: string;
  lastName?: string;
  /** Instagram only. */
  username?: string;
}

/** What the hub stores for one event: the provider's own item, with the entry it came in. */
export interface MessagingEnvelope {
  object: MessagingObject;
  entryId: string;
  standby: boolean;
  item: JsonRecord;
}

/**
 * Meta stamps messaging events in milliseconds; the postback reference shows seconds (as a string).
 * A stamp past year 9999 (a sender's 1e20) is no time (instantMs).
 */
export function toMillis(value: unknown): number | undefined {
  const n = asNumber(value);
  if (n === undefined || n <= 0) return undefined;
  return instantMs(n < 1e12 ? Math.round(n * 1000) : Math.round(n));
}

function referralOf(value: unknown): MessagingReferral | undefined {
  if (!isRecord(value)) return undefined;
  const context = isRecord(value.ads_context_data) ? value.ads_context_data : {};
  const referral: MessagingReferral = {
    ref: asString(value.ref),
    source: asString(value.source),
    type: asString(value.type),
    adId: asId(value.ad_id),
    adTitle: asString(context.ad_title),
    photoUrl: asString(context.photo_url),
    videoUrl: asString(context.video_url),
    postId: asId(context.post_id),
    productId: asId(context.product_id ?? (isRecord(value.product) ? value.product.id : undefined)),
    refererUri: asString(value.referer_uri),
  };
  const kept = Object.fromEntries(Object.entries(referral).filter(([, v]) => v !== undefined));
  return Object.keys(kept).length > 0 ? kept : undefined;
}

function attachmentsOf(message: JsonRecord): MessagingAttachment[] {
  return asRecords(message.attachments).map((attachment) => {
    const payload = isRecord(attachment.payload) ? attachment.payload : {};
    const out: MessagingAttachment = { type: asString(attachment.type) ?? 'unknown' };
    const url = asString(payload.url);
    const id = asId(payload.attachment_id ?? payload.reel_video_id ?? payload.sticker_id ?? payload.id);
    const title = asString(payload.title ?? attachment.title);
    if (url) out.url = url;
    if (id) out.id = id;
    if (title) out.title = title;
    return out;
  });
}

function storyOf(message: JsonRecord, attachments: MessagingAttachment[]): InboundMessageEvent['story'] {
  const replyTo = isRecord(message.reply_to) ? message.reply_to : undefined;
  if (replyTo && isRecord(replyTo.story)) {
    return { kind: 'reply', id: asId(replyTo.story.id), url: asString(replyTo.story.url) };
  }
  const mention = attachments.find((a) => a.type === 'story_mention');
  return mention ? { kind: 'mention', id: mention.id, url: mention.url } : undefined;
}

/**
 * One messaging item of an entry, narrowed. The page/account is the recipient of what a person
 * sends and the sender of an echo; an item without a person's id (a Chat Plugin guest known only
 * by `user_ref`) or of a kind the hub does not use (optins, handovers) gives undefined.
 */
export function parseMessagingItem(
  item: unknown,
  channel: MessagingChannel,
  entryId: string,
  standby = false,
): MessagingEvent | undefined {
  if (!isRecord(item)) return undefined;
  const senderId = isRecord(item.sender) ? asId(item.sender.id) : undefined;
  const recipientId = isRecord(item.recipient) ? asId(item.recipient.id) : undefined;
  const timestamp = toMillis(item.timestamp);
  const message = isRecord(item.message) ? item.message : undefined;
  const echo = message !== undefined && asBoolean(message.is_echo) === true;
  const contactId = echo ? recipientId : senderId;
  const accountId = (echo ? senderId : recipientId) ?? entryId;
  if (!contactId || contactId === accountId) return undefined;
  const base: EventBase = { channel, accountId, contactId, standby, ...(timestamp !== undefined ? { timestamp } : {}) };

  if (message) {
    const mid = asString(message.mid);
    if (!mid) return undefined;
    // an unsent (deleted) Instagram message: only its mid, to delete what the hub kept of it
    if (asBoolean(message.is_deleted) === true) return { ...base, kind: 'unsend', mid };
    const attachments = attachmentsOf(message);
    const text = typeof message.text === 'string' && message.text !== '' ? message.text : undefined;
    if (echo) {
      return {
        ...base,
        kind: 'echo',
        mid,
        attachments,
        ...(text !== undefined ? { text } : {}),
        ...(asId(message.app_id) ? { appId: asId(message.app_id) } : {}),
        ...(asString(message.metadata) ? { metadata: asString(message.metadata) } : {}),
      };
    }
    const quickReply = isRecord(message.quick_reply) ? asString(message.quick_reply.payload) : undefined;
    const replyToMid = isRecord(message.reply_to) ? asString(message.reply_to.mid) : undefined;
    const story = storyOf(message, attachments);
    // a click-to-Messenger / click-to-Instagram ad's referral rides on the message it started
    const referral = referralOf(message.referral) ?? referralOf(item.referral);
    return {
      ...base,
      kind: 'message',
      mid,
      attachments,
      ...(text !== undefined ? { text } : {}),
      ...(quickReply ? { quickReplyPayload: quickReply } : {}),
      ...(replyToMid ? { replyToMid } : {}),
      ...(story ? { story } : {}),
      ...(referral ? { referral } : {}),
    };
  }
  if (isRecord(item.postback)) {
    const postback = item.postback;
    const referral = referralOf(postback.referral);
    const out: PostbackEvent = { ...base, kind: 'postback' };
    const mid = asString(postback.mid);
    const title = asString(postback.title);
    const payload = asString(postback.payload);
    if (mid) out.mid = mid;
    if (title) out.title = title;
    if (payload) out.payload = payload;
    if (referral) out.referral = referral;
    return out;
  }
  if (isRecord(item.reaction)) {
    const mid = asString(item.reaction.mid);
    const action = asString(item.reaction.action) === 'unreact' ? 'unreact' : 'react';
    if (!mid) return undefined;
    const reaction = asString(item.reaction.reaction);
    const emoji = asString(item.reaction.emoji);
    return { ...base, kind: 'reaction', mid, action, ...(reaction ? { reaction } : {}), ...(emoji ? { emoji } : {}) };
  }
  if (isRecord(item.message_edit)) {
    const mid = asString(item.message_edit.mid);
    const text = asString(item.message_edit.text);
    if (!mid || text === undefined) return undefined;
    // an integer, though Meta's sample writes it as a string
    const count = Number(item.message_edit.num_edit);
    const numEdit = Number.isInteger(count) && count > 0 && count < 1000 ? count : undefined;
    return { ...base, kind: 'edit', mid, text, ...(numEdit !== undefined ? { numEdit } : {}) };
  }
  if (isRecord(item.referral)) {
    const referral = referralOf(item.referral);
    return referral ? { ...base, kind: 'referral', referral } : undefined;
  }
  if (isRecord(item.delivery)) {
    const mids = asArray(item.delivery.mids)
      .map(asString)
      .filter((m): m is string => m !== undefined);
    const watermark = toMillis(item.delivery.watermark);
    if (mids.length === 0 && watermark === undefined) return undefined;
    return { ...base, kind: 'delivery', mids, ...(watermark !== undefined ? { watermark } : {}) };
  }
  if (isRecord(item.read)) {
    const watermark = toMillis(item.read.watermark);
    const mid = asString(item.read.mid);
    if (watermark === undefined && !mid) return undefined;
    return { ...base, kind: 'read', ...(watermark !== undefined ? { watermark } : {}), ...(mid ? { mid } : {}) };
  }
  return undefined;
}

/** Reads a stored envelope back into its event (replays included); undefined when it is not one. */
export function parseEnvelope(payload: unknown, channel: MessagingChannel): MessagingEvent | undefined {
  if (!isRecord(payload) || payload.object !== OBJECT_OF[channel]) return undefined;
  const entryId = asId(payload.entryId);
  if (!entryId) return undefined;
  return parseMessagingItem(payload.item, channel, entryId, payload.standby === true);
}

function entriesOf(payload: unknown): JsonRecord[] {
  return isRecord(payload) ? asRecords(payload.entry) : [];
}

/** The page or account ids a delivery is about (its entries'), for provider-level routing. */
export function entryIds(payload: unknown): string[] {
  const ids = entriesOf(payload)
    .map((e) => asId(e.id))
    .filter((id): id is string => id !== undefined);
  return [...new Set(ids)];
}

/** The part of a delivery about one page or account: a delivery may mix several. */
export function selectEntry(payload: unknown, key: string): unknown {
  if (!isRecord(payload)) return payload;
  return { ...payload, entry: entriesOf(payload).filter((e) => asId(e.id) === key) };
}

/**
 * The provider's id for an event, unique per integration: a message's `mid`; otherwise the kind, the
 * person and what Meta stamps the event with. An event Meta stamps with nothing falls back to a
 * digest of its own bytes, so two such events of one delivery never collapse into one.
 */
export function messagingEventId(event: MessagingEvent, item: JsonRecord): string {
  const digest = (): string => createHash('sha256').update(JSON.stringify(item)).digest('hex').slice(0, 32);
  const at = event.timestamp !== undefined ? String(event.timestamp) : digest();
  switch (event.kind) {
    case 'message':
    case 'echo':
      return event.mid;
    case 'unsend':
      // not the message's own id: that one is already stored (a duplicate) when the unsend arrives
      return `unsend:${event.mid}`;
    case 'edit':
      return `edit:${event.mid}:${event.numEdit ?? at}`;
    case 'postback':
      return event.mid ? `postback:${event.mid}` : `postback:${event.contactId}:${at}`;
    case 'reaction':
      return `reaction:${event.mid}:${event.contactId}:${event.action}:${at}`;
    case 'referral':
      return `referral:${event.contactId}:${at}`;
    case 'delivery':
      return `delivery:${event.contactId}:${event.watermark ?? digest()}`;
    case 'read':
      return `read:${event.contactId}:${event.watermark ?? event.mid ?? digest()}`;
  }
}

/** Items of an entry: `messaging[]`, `standby[]`, and `changes[]` in the field/value form of Meta's samples. */
function itemsOf(entry: JsonRecord): Array<{ item: JsonRecord; standby: boolean }> {
  const out: Array<{ item: JsonRecord; standby: boolean }> = [];
  for (const item of asRecords(entry.messaging)) out.push({ item, standby: false });
  for (const item of asRecords(entry.standby)) out.push({ item, standby: true });
  for (const change of asRecords(entry.changes)) {
    const field = asString(change.field) ?? '';
    if ((field.startsWith('messag') || field === 'message_reactions') && isRecord(change.value))
      out.push({ item: change.value, standby: false });
  }
  return out;
}

/**
 * One stored event per messaging item of every entry of a delivery of this channel's object; other
 * objects and items the hub does not use give none.
 */
export function extractMessagingEvents(payload: unknown, channel: MessagingChannel): ExtractedEvent[] {
  const object = OBJECT_OF[channel];
  if (!isRecord(payload) || payload.object !== object) return [];
  const events: ExtractedEvent[] = [];
  for (const entry of entriesOf(payload)) {
    const entryId = asId(entry.id);
    if (!entryId) continue;
    for (const { item, standby } of itemsOf(entry)) {
      const event = parseMessagingItem(item, channel, entryId, standby);
      if (!event) continue;
      const envelope: MessagingEnvelope = { object, entryId, standby, item };
      events.push({ externalId: messagingEventId(event, item), eventType: event.kind, payload: envelope });
    }
  }
  return events;
}
