import { Injectable, Logger } from '@nestjs/common';
import type { HandlerContext, IntegrationHandler } from '../../handlers/integration-handler';
import type {
  MessagingAttachment,
  MessagingContactProfile,
  MessagingEvent,
} from '../../handlers/shared/meta-messaging';
import { LeadWriterService } from '../leads/lead-writer.service';
import { phoneMatchKeys } from '../whatsapp/domain/phone-match';
import { keywordMatcher, KeywordConfig } from '../whatsapp/domain/opt-out-keywords';
import { sharedContactOf } from './domain/shared-contact';
import { applyReceipt, Receipt } from './domain/watermarks';
import { ConversationRef, HeldReaction, MessageEdit, MessagingInboxRepository } from './messaging-inbox.repository';
import { MessagingOptOutsRepository } from './messaging-opt-outs.repository';

/** A handler that can read a person's profile (Facebook Messenger, Instagram Direct). */
interface ProfileReader {
  fetchContactProfile(ctx: HandlerContext, id: string): Promise<MessagingContactProfile>;
}

function readsProfiles(handler: IntegrationHandler): handler is IntegrationHandler & ProfileReader {
  return typeof (handler as Partial<ProfileReader>).fetchContactProfile === 'function';
}

export interface InboxOrigin {
  integrationId: number;
  subAccountId: number;
}

/** A message's type column: its text, or its first attachment's type (image, story_mention …). */
function typeOf(event: { text?: string; attachments: readonly MessagingAttachment[] }): string {
  if (event.attachments.length > 0) return event.attachments[0].type;
  return 'text';
}

/** When the event happened: its timestamp, never later than `received` (a stamp still to come would hold the window open). */
function at(event: MessagingEvent, received: Date): Date {
  return event.timestamp !== undefined ? new Date(Math.min(event.timestamp, received.getTime())) : received;
}

/**
 * Puts Messenger and Instagram events into the channel-neutral conversation model: one conversation
 * per (integration = page or Instagram account, PSID/IGSID), linked to the lead the same event
 * created or updated; inbound messages, echoes of the page's own messages (outbound, never inbound),
 * postbacks, reactions, and delivery/read receipts that only move messages forward.
 */
@Injectable()
export class MessagingInboxService {
  private readonly logger = new Logger(MessagingInboxService.name);

  constructor(
    private readonly repository: MessagingInboxRepository,
    private readonly optOuts: MessagingOptOutsRepository,
    private readonly leads: LeadWriterService,
  ) {}

  /**
   * The person's Graph profile when their conversation has no name yet (fetched once: afterwards the
   * conversation has it). Outside any transaction; a failed read leaves the name for the next message.
   */
  async profileIfUnknown(
    origin: InboxOrigin,
    handler: IntegrationHandler,
    ctx: HandlerContext,
    event: MessagingEvent,
  ): Promise<MessagingContactProfile | null> {
    if (!readsProfiles(handler) || (event.kind !== 'message' && event.kind !== 'postback')) return null;
    const known = await this.repository.findConversation(origin.integrationId, event.contactId);
    if (known?.profileName) return null;
    try {
      return await handler.fetchContactProfile(ctx, event.contactId);
    } catch (err) {
      this.logger.warn(
        { integrationId: origin.integrationId, err: err instanceof Error ? err.message : String(err) },
        'contact profile unreadable; the conversation stays without a name for now',
      );
      return null;
    }
  }

  /**
   * Auto-link by a shared e-mail or phone (issue 16 point 3, as WhatsApp auto-links by phone): when a
   * person's message is a user_email / user_phone_number quick reply (or its whole text is an e-mail
   * or a phone), and a lead of this sub-account is already known by it, the person's channel id moves
   * to that lead (LeadWriterService.joinBySharedContact, the lead identity match) and their
   * conversation is relinked to it, unless a person linked or captured it. Runs inside the caller's
   * transaction before the event's lead writes, so this message's lead touch and interaction land on
   * that lead too. With no such lead nothing changes. Only the sub-account's own leads are looked at.
   */
  async joinSharedContact(origin: InboxOrigin, event: MessagingEvent): Promise<void> {
    if (event.kind !== 'message') return;
    const shared = sharedContactOf(event, await this.leads.subAccountRegion(origin.subAccountId));
    if (!shared) return;
    const conversation = await this.repository.findConversation(origin.integrationId, event.contactId);
    // a person's choice stands: a manual link or a capture is not undone by what the contact typed
    if (conversation?.leadId != null && conversation.linkSource !== null && conversation.linkSource !== 'auto') return;
    const joined = await this.leads.joinBySharedContact(
      origin.subAccountId,
      { platform: event.channel, externalId: event.contactId },
      {
        // every form WhatsApp's auto-link matches a phone by (Brazil's ninth digit, Mexico's 1, Argentina's 9)
        phones: shared.phone ? phoneMatchKeys(shared.phone) : [],
        ...(shared.email ? { email: shared.email } : {}),
      },
    );
    // a conversation created by this event links to the lead through the identity (conversation())
    if (joined && conversation && conversation.leadId !== joined.leadId)
      await this.repository.relinkShared(conversation.id, joined.leadId);
  }

  /**
   * First in the event's transaction, before any row is written or locked (the conversation's by
   * joinSharedContact, the lead writes): the lock of the message this event writes or acts on. An edit or
   * reaction holds it while it writes the conversation, so a message taking it after that row deadlocked.
   */
  async lockMessageOf(origin: InboxOrigin, event: MessagingEvent): Promise<void> {
    const acts =
      event.kind === 'message' || event.kind === 'echo' || event.kind === 'edit' || event.kind === 'reaction';
    if (acts && event.mid) await this.repository.lockMessage(origin.integrationId, event.mid);
  }

  /** Applies one event inside the caller's transaction (after lockMessageOf and the event's lead writes). */
  async apply(
    origin: InboxOrigin,
    event: MessagingEvent,
    profile: MessagingContactProfile | null,
    now: Date,
    keywords: KeywordConfig = {},
  ): Promise<void> {
    if (event.kind === 'reaction') {
      const when = at(event, now);
      const reaction =
        event.action === 'unreact'
          ? null
          : { emoji: event.emoji ?? null, reaction: event.reaction ?? null, by: event.contactId, at: when };
      const held: HeldReaction = {
        integrationId: origin.integrationId,
        contactKey: event.contactId,
        mid: event.mid,
        reaction,
        at: when,
      };
      // a reaction to a message not received yet is held until it arrives (Meta does not order deliveries)
      await this.repository.lockMessage(origin.integrationId, event.mid);
      if (
        !(await this.repository.setReaction(held)) &&
        !(await this.repository.messageExists(origin.integrationId, event.mid))
      )
        await this.repository.holdReaction(held);
      // "Reactions, like other user actions, open the 24-hr standard messaging window" (Meta, Replies and
      // Reactions, developers.facebook.com/docs/messenger-platform/webhook/reply_and_reactions); not a message,
      // so nothing unread. Only the thread of a person already known: a reaction starts no conversation.
      if (event.action === 'react') {
        const conversation = await this.repository.findConversation(origin.integrationId, event.contactId);
        if (conversation) await this.repository.openWindow(conversation.id, when);
      }
      return;
    }
    if (event.kind === 'delivery' || event.kind === 'read') {
      await this.applyReceipt(origin, event, now);
      return;
    }
    if (event.kind === 'edit') {
      // the message's text becomes the edited one; edits arrive in any order, the latest (num_edit, then
      // time) stands. An edit of a message not received yet is held until it arrives (Meta does not order
      // its deliveries); it starts no conversation.
      const edit: MessageEdit = {
        integrationId: origin.integrationId,
        contactKey: event.contactId,
        mid: event.mid,
        text: event.text,
        count: event.numEdit ?? 0,
        at: at(event, now),
      };
      await this.repository.lockMessage(origin.integrationId, event.mid);
      if (await this.repository.applyEdit(edit))
        await this.leads.editInteraction(origin.subAccountId, origin.integrationId, event.mid, event.text);
      else if (!(await this.repository.messageExists(origin.integrationId, event.mid)))
        await this.repository.holdEdit(edit);
      return;
    }
    // taken again (a no-op after lockMessageOf) before this event's own rows, for a caller that did not
    if ((event.kind === 'message' || event.kind === 'echo') && event.mid)
      await this.repository.lockMessage(origin.integrationId, event.mid);
    const conversation = await this.conversation(origin, event, profile, now);
    const when = at(event, now);
    // an m.me / ig.me link into an existing thread "will reset the 24-hour standard messaging window"
    // (developers.facebook.com/documentation/business-messaging/messenger-platform/discovery/m-me-links);
    // no message, so nothing unread and the last message stays the last one
    if (event.kind === 'referral') {
      await this.repository.openWindow(conversation.id, when);
      return;
    }
    if (event.kind === 'unsend') {
      await this.repository.markUnsent(this.base(origin, event, conversation), when);
      await this.leads.redactInteraction(origin.subAccountId, origin.integrationId, event.mid);
      return;
    }
    if (event.kind === 'echo') {
      const inserted = await this.repository.insertMessage({
        ...this.base(origin, event, conversation),
        direction: 'outbound',
        type: typeOf(event),
        text: event.text ?? null,
        content: {
          echo: true,
          ...(event.attachments.length ? { attachments: event.attachments } : {}),
          ...(event.appId ? { appId: event.appId } : {}),
          ...(event.metadata ? { metadata: event.metadata } : {}),
        },
        status: 'sent',
        recipient: event.contactId,
        sentAt: when,
        receivedAt: null,
      });
      if (inserted) {
        await this.repository.touchConversation(conversation.id, when, false);
        if (event.mid) await this.applyHeld(origin, event.mid);
        await this.catchUpReceipts(origin.integrationId, conversation, event.contactId);
      }
      return;
    }
    const content: Record<string, unknown> =
      event.kind === 'message'
        ? {
            ...(event.attachments.length ? { attachments: event.attachments } : {}),
            ...(event.quickReplyPayload ? { quickReply: { payload: event.quickReplyPayload } } : {}),
            ...(event.replyToMid ? { replyTo: { mid: event.replyToMid } } : {}),
            ...(event.story ? { story: event.story } : {}),
            ...(event.referral ? { referral: event.referral } : {}),
          }
        : {
            postback: { title: event.title ?? null, payload: event.payload ?? null },
            ...(event.referral ? { referral: event.referral } : {}),
          };
    const mid = event.kind === 'message' ? event.mid : (event.mid ?? `postback:${event.contactId}:${when.getTime()}`);
    const inserted = await this.repository.insertMessage({
      ...this.base(origin, event, conversation),
      wamid: mid,
      direction: 'inbound',
      type: event.kind === 'message' ? typeOf(event) : 'postback',
      text: event.kind === 'message' ? (event.text ?? null) : (event.title ?? null),
      content: Object.keys(content).length ? content : null,
      status: 'received',
      recipient: null,
      sentAt: null,
      receivedAt: when,
    });
    // the window opens with the person's own message; a redelivery changes nothing
    if (!inserted) {
      // its unsend came first (events run in any order): the interaction this event just wrote goes too
      if (event.kind === 'message' && (await this.repository.isUnsent(origin.integrationId, event.mid))) {
        await this.leads.redactInteraction(origin.subAccountId, origin.integrationId, event.mid);
        // the person did write it: on its first arrival the window, the last message and a STOP or START in
        // it count as they would have in order (a redelivery changes nothing)
        if (await this.repository.claimUnsent(origin.integrationId, event.mid, when))
          await this.keyword(origin, event, keywords, conversation.id, when);
      }
      return;
    }
    await this.repository.touchConversation(conversation.id, when, true);
    if (event.kind === 'message') {
      await this.applyHeld(origin, event.mid);
      await this.keyword(origin, event, keywords, conversation.id, when);
    }
  }

  /**
   * What the person did to this message before it arrived (edits, reactions): each is applied as it would
   * have been in order (the sender's latest stands), and the lead's interaction takes an edit's text.
   */
  private async applyHeld(origin: InboxOrigin, mid: string): Promise<void> {
    // the caller holds the message's lock (apply): no edit or reaction of it is being held meanwhile
    let text: string | null = null;
    // each is compared with what the message holds, so the order they are applied in does not matter
    for (const held of await this.repository.takeHeld(origin.integrationId, mid)) {
      if (held.kind === 'reaction') await this.repository.setReaction(held);
      else if (await this.repository.applyEdit(held)) text = held.text;
    }
    if (text !== null) await this.leads.editInteraction(origin.subAccountId, origin.integrationId, mid, text);
  }

  /**
   * STOP (or the integration's words) opts the person out of this page or account only; START undoes it.
   * Meta does not order its deliveries: a keyword written before one already recorded is superseded by it
   * (the conversation row is locked by its upsert, so that one was applied when it was recorded).
   */
  private async keyword(
    origin: InboxOrigin,
    event: Extract<MessagingEvent, { kind: 'message' }>,
    keywords: KeywordConfig,
    conversationId: bigint,
    writtenAt: Date,
  ): Promise<void> {
    const matcher = keywordMatcher(keywords);
    const intent = matcher.match(event.text);
    if (intent === null) return;
    const later = await this.repository.laterInboundTexts(conversationId, writtenAt);
    if (later.some((text) => matcher.match(text) !== null)) return;
    if (intent === 'opt_out')
      await this.optOuts.add({ ...origin, channel: event.channel, contactKey: event.contactId }, 'keyword');
    else if (intent === 'opt_in') await this.optOuts.remove(origin.integrationId, event.contactId);
  }

  private base(origin: InboxOrigin, event: MessagingEvent, conversation: ConversationRef) {
    return {
      subAccountId: origin.subAccountId,
      integrationId: origin.integrationId,
      conversationId: conversation.id,
      channel: event.channel,
      leadId: conversation.leadId,
      wamid: 'mid' in event && event.mid ? event.mid : '',
    };
  }

  /** The conversation, created on first contact and linked to the lead this person's events made. */
  private async conversation(
    origin: InboxOrigin,
    event: MessagingEvent,
    profile: MessagingContactProfile | null,
    now: Date,
  ): Promise<ConversationRef> {
    // stamped with when the person came through it: the conversation keeps the earliest (upsertConversation)
    const referral =
      'referral' in event && event.referral ? { ...event.referral, at: at(event, now).toISOString() } : null;
    const row = await this.repository.upsertConversation({
      subAccountId: origin.subAccountId,
      integrationId: origin.integrationId,
      channel: event.channel,
      contactKey: event.contactId,
      profileName: profile?.name ?? null,
      username: profile?.username ?? null,
      referral,
    });
    if (row.leadId !== null) return row;
    const leadId = await this.repository.leadOfIdentity(origin.subAccountId, `ext:${event.channel}:${event.contactId}`);
    if (leadId === null) return row;
    await this.repository.linkLead(row.id, leadId);
    return { ...row, leadId };
  }

  /** Delivery / read receipts: outbound messages of the conversation move forward only. */
  private async applyReceipt(
    origin: InboxOrigin,
    event: Extract<MessagingEvent, { kind: 'delivery' | 'read' }>,
    now: Date,
  ): Promise<void> {
    if (event.watermark !== undefined) {
      // kept (even before the conversation exists), so that a message recorded after its receipt
      // (events run in any order) still moves; the row lock orders this against that message
      const upTo = new Date(event.watermark);
      await this.repository.raiseWatermark(
        origin.integrationId,
        event.contactId,
        event.kind === 'read' ? { readUpTo: upTo } : { deliveredUpTo: upTo },
      );
    }
    const conversation = await this.repository.findConversation(origin.integrationId, event.contactId);
    if (!conversation) return;
    const mids = event.kind === 'delivery' ? event.mids : event.mid ? [event.mid] : [];
    // Instagram's seen names the last message read: everything the page sent before it is read too
    const named =
      event.kind === 'read' && event.mid ? await this.repository.sentAtOf(origin.integrationId, event.mid) : null;
    const watermark = event.watermark !== undefined ? new Date(event.watermark) : named;
    await this.move(conversation.id, {
      kind: event.kind,
      mids,
      ...(watermark ? { watermark } : {}),
      at: event.timestamp !== undefined ? new Date(event.timestamp) : (watermark ?? now),
    });
  }

  /** Applies the watermarks already reported for this person to the conversation's outbound messages. */
  private async catchUpReceipts(
    integrationId: number,
    conversation: ConversationRef,
    contactKey: string,
  ): Promise<void> {
    const marks = await this.repository.lockWatermarks(integrationId, contactKey);
    if (marks.deliveredUpTo)
      await this.move(conversation.id, { kind: 'delivery', watermark: marks.deliveredUpTo, at: marks.deliveredUpTo });
    if (marks.readUpTo)
      await this.move(conversation.id, { kind: 'read', watermark: marks.readUpTo, at: marks.readUpTo });
  }

  private async move(conversationId: bigint, receipt: Receipt): Promise<void> {
    const candidates = await this.repository.receiptCandidates(
      conversationId,
      receipt.mids ?? [],
      receipt.watermark ?? null,
    );
    for (const row of candidates) {
      const patch = applyReceipt(row, receipt);
      if (patch) await this.repository.applyReceipt(row.id, patch);
    }
  }
}
