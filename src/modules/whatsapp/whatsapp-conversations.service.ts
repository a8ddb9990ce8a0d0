import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../../common/auth/auth-user';
import { assertCanActOn, listScope, scopeOf } from '../../common/auth/sub-account-scope';
import { DomainException } from '../../common/errors/domain.exception';
import { Page, skipTake, toPage } from '../../common/http/pagination';
import { TransactionRunner } from '../../database/transaction-runner';
import type { JsonValue } from '../../common/json-value';
import type { LeadSourceInput } from '../../handlers/handler-types';
import type { WhatsAppReferral } from '../../handlers/whatsapp-cloud/whatsapp-cloud.payload';
import { LeadWriterService } from '../leads/lead-writer.service';
import { LeadsService } from '../leads/leads.service';
import { canonicalPhone, phoneMatchKeys, waIdToE164 } from './domain/phone-match';
import { windowOpenUntil } from './domain/window';
import {
  AutoLinkDto,
  AutoLinkResultDto,
  CaptureLeadDto,
  ConversationDetailDto,
  ConversationDetailQueryDto,
  ConversationDto,
  LinkConversationDto,
  ListConversationsQueryDto,
} from './dto/conversation.dto';
import { LeadDetailDto } from '../leads/dto/lead.dto';
import { ContactFields, ConversationRow, ConversationsRepository } from './conversations.repository';
import { toMessageDto } from './message.mapper';
import { MessageRow, MessagesRepository } from './messages.repository';
import { WhatsAppOptOutsService } from './whatsapp-opt-outs.service';

const MESSAGES_PER_PAGE = 50;

/** The lead timeline entry of a message (one per message, idempotent). */
export function timelineOrigin(messageId: string): string {
  return `whatsapp:message:${messageId}`;
}

/** A click-to-WhatsApp referral as the captured lead's campaign data. */
export function referralSource(referral: unknown): LeadSourceInput {
  if (!referral || typeof referral !== 'object') return {};
  const r = referral as WhatsAppReferral;
  const details: Record<string, string> = {};
  for (const [name, value] of [
    ['ctwaClid', r.ctwaClid],
    ['referralHeadline', r.headline],
    ['referralBody', r.body],
    ['referralSourceUrl', r.sourceUrl],
    ['referralSourceType', r.sourceType],
    ['referralSourceId', r.sourceId],
    ['referralMediaType', r.mediaType],
  ] as const)
    if (typeof value === 'string') details[name] = value;
  // a Messenger / Instagram referral (MessagingReferral) names its ad as adId
  const messagingAd = (referral as { adId?: unknown }).adId;
  return {
    ...(r.sourceType === 'ad' && r.sourceId ? { adId: r.sourceId } : {}),
    ...(typeof messagingAd === 'string' ? { adId: messagingAd } : {}),
    ...(r.headline ? { campaignName: r.headline } : {}),
    ...(Object.keys(details).length ? { details } : {}),
  };
}

/**
 * Conversations: one per contact per number, holding wa_id, the business-scoped user id and the
 * E.164 phone apart. A new contact is linked to the lead with the same normalised phone (Brazil's
 * ninth digit and the other variants matched), otherwise left unlinked until an agent links it or
 * captures a lead. Messages of a linked conversation are in the lead's timeline.
 */
@Injectable()
export class WhatsAppConversationsService {
  constructor(
    private readonly repository: ConversationsRepository,
    private readonly messages: MessagesRepository,
    private readonly leadWriter: LeadWriterService,
    private readonly leads: LeadsService,
    private readonly optOuts: WhatsAppOptOutsService,
    private readonly transactions: TransactionRunner,
  ) {}

  // ---- used by sends, inbound processing and the bulk ledger

  /** The contact's conversation for an outbound message to an E.164 phone (created when new). */
  async forPhone(
    number: { integrationId: number; subAccountId: number },
    phone: string,
    leadId: bigint | null,
    by: string | null,
  ): Promise<ConversationRow> {
    const keys = phoneMatchKeys(phone);
    const found = await this.repository.findContact(number.integrationId, {
      waId: phone.slice(1),
      phones: keys,
    });
    if (found) {
      if (leadId !== null && found.leadId === null) return this.link(found, leadId, 'send', by, { ifUnlinked: true });
      return found;
    }
    const { row, created } = await this.repository.create({
      subAccountId: number.subAccountId,
      integrationId: number.integrationId,
      channel: 'whatsapp',
      contactKey: phone.slice(1),
      contact: { phone, phoneNormalized: canonicalPhone(phone) },
      leadId,
      linkSource: leadId !== null ? 'send' : null,
    });
    if (!created && leadId !== null && row.leadId === null)
      return this.link(row, leadId, 'send', by, { ifUnlinked: true });
    if (created && leadId === null) return this.autoLink(row);
    return row;
  }

  /** The conversation of an inbound contact (created and auto-linked when new). */
  async forInbound(
    number: { integrationId: number; subAccountId: number },
    identity: { waId?: string; userId?: string; profileName?: string; username?: string },
    referral: WhatsAppReferral | undefined,
  ): Promise<{ row: ConversationRow; created: boolean; contact: ContactFields }> {
    const phone = identity.waId ? waIdToE164(identity.waId) : null;
    const contact: ContactFields = {
      waId: identity.waId ?? null,
      userId: identity.userId ?? null,
      phone,
      phoneNormalized: phone ? canonicalPhone(phone) : null,
      profileName: identity.profileName ?? null,
      username: identity.username ?? null,
    };
    const contactKey = identity.waId ?? identity.userId;
    if (!contactKey) throw new Error('an inbound contact without wa_id or user id');
    const found = await this.repository.findContact(number.integrationId, {
      contactKey,
      waId: identity.waId,
      userId: identity.userId,
      phones: phone ? phoneMatchKeys(phone) : [],
    });
    if (found) {
      // a conversation our send opened under the dialled number learns the contact's real wa_id
      if (identity.waId && found.waId !== identity.waId && found.waId === null)
        await this.repository.update(found.id, { waId: identity.waId });
      if (referral && !found.referral) await this.repository.update(found.id, { referral: referral as JsonValue });
      return { row: found, created: false, contact };
    }
    const { row, created } = await this.repository.create({
      subAccountId: number.subAccountId,
      integrationId: number.integrationId,
      channel: 'whatsapp',
      contactKey,
      contact,
      ...(referral ? { referral: referral as JsonValue } : {}),
    });
    return { row: created ? await this.autoLink(row) : row, created, contact };
  }

  lastInboundByPhone(integrationId: number, phones: readonly string[]): Promise<Map<string, Date>> {
    return this.repository.lastInboundByPhone(
      integrationId,
      phones.map((p) => canonicalPhone(p)),
    );
  }

  /** Puts a message in the lead's timeline when its conversation is linked. */
  async addToTimeline(conversation: ConversationRow, message: MessageRow): Promise<void> {
    if (conversation.leadId === null) return;
    await this.leadWriter.addTimelineEntry(
      {
        subAccountId: conversation.subAccountId,
        integrationId: conversation.integrationId,
        origin: conversation.channel,
      },
      conversation.leadId,
      {
        // a Messenger / Instagram conversation linked through the channel-neutral routes keeps its platform
        platform: conversation.channel,
        externalId: conversation.contactKey,
        channel: conversation.channel,
        direction: message.direction === 'inbound' ? 'inbound' : 'outbound',
        body:
          message.text ??
          message.mediaCaption ??
          (message.templateName ? `[template ${message.templateName}]` : `[${message.type}]`),
        occurredAt: (message.receivedAt ?? message.createdAt).toISOString(),
        externalMessageId: message.wamid ?? message.id,
      },
      timelineOrigin(message.id),
    );
  }

  // ---- API

  /** `channel` null: every channel (GET /api/conversations). */
  async list(
    user: AuthUser,
    query: ListConversationsQueryDto,
    channel: string | null = 'whatsapp',
  ): Promise<Page<ConversationDto>> {
    const { rows, total } = await this.repository.list(
      listScope(user, query.subAccountId),
      { integrationId: query.integrationId, linked: query.linked, q: query.q, channel: channel ?? undefined },
      skipTake(query),
    );
    return toPage(await this.toDtos(rows), total, query);
  }

  /** `channel` null: a conversation of any channel (the channel-neutral routes); else only that channel's. */
  async get(
    user: AuthUser,
    id: bigint,
    query: ConversationDetailQueryDto,
    channel: string | null = 'whatsapp',
  ): Promise<ConversationDetailDto> {
    const row = await this.visible(user, id, channel);
    const before = query.before ? await this.messages.find(scopeOf(user), query.before) : undefined;
    if (query.before && (!before || before.conversationId !== row.id)) throw DomainException.notFound('Message');
    const messages = await this.messages.latest(row.id, MESSAGES_PER_PAGE, before ?? undefined);
    let lead: LeadDetailDto | null = null;
    if (row.leadId !== null) lead = await this.leads.get(user, row.leadId).catch(() => null);
    const [dto] = await this.toDtos([row]);
    return { ...dto, lead, messages: messages.map(toMessageDto) };
  }

  async linkTo(
    user: AuthUser,
    id: bigint,
    link: LinkConversationDto,
    channel: string | null = 'whatsapp',
  ): Promise<ConversationDto> {
    const row = await this.visible(user, id, channel);
    // the DTO has validated the digits; the lead's id is a bigint from here on
    const lead = await this.leads.require(row.subAccountId, BigInt(link.leadId));
    // already linked to it: nothing to add (a Messenger lead's timeline already has its messages)
    const linked = row.leadId === lead.id ? row : await this.link(row, lead.id, 'manual', user.sub);
    const [dto] = await this.toDtos([linked]);
    return dto;
  }

  async unlink(user: AuthUser, id: bigint, channel: string | null = 'whatsapp'): Promise<ConversationDto> {
    const row = await this.visible(user, id, channel);
    const unlinked = await this.transactions.run(async () => {
      // locked first: a link committing meanwhile has its timeline entries removed here, not left behind
      if (!(await this.repository.lock(row.id))) throw DomainException.notFound('Conversation');
      const messages = await this.messages.conversationMessages(row.id);
      await this.leadWriter.removeTimelineEntries(
        row.subAccountId,
        messages.map((m) => timelineOrigin(m.id)),
      );
      return this.repository.setLead(row.id, null, null, user.sub);
    });
    const [dto] = await this.toDtos([unlinked]);
    return dto;
  }

  /** Creates (201) or finds (200) the contact's lead, source `whatsapp`; idempotent per conversation. */
  async captureLead(
    user: AuthUser,
    id: bigint,
    dto: CaptureLeadDto,
    channel: string | null = 'whatsapp',
  ): Promise<{ created: boolean; lead: LeadDetailDto }> {
    const row = await this.visible(user, id, channel);
    // a linked conversation answers its lead; one unlinked since its capture is linked again below (to the
    // lead its contact already belongs to), not answered with a lead it is no longer linked to
    if (row.leadId !== null) return { created: false, lead: await this.leads.get(user, row.leadId) };
    const result = await this.transactions.run(async () => {
      const locked = await this.repository.lock(row.id);
      if (!locked) throw DomainException.notFound('Conversation');
      if (locked.leadId !== null) return { leadId: locked.leadId, created: false };
      const applied = await this.leadWriter.upsert(
        {
          subAccountId: locked.subAccountId,
          integrationId: locked.integrationId,
          origin: `whatsapp-capture:${locked.id}`,
        },
        {
          // the person's identity on their channel (ext:messenger:<PSID> is the lead their own events made)
          platform: locked.channel,
          externalId: locked.contactKey,
          ...(dto.fullName ? { fullName: dto.fullName } : locked.profileName ? { fullName: locked.profileName } : {}),
          ...(dto.firstName ? { firstName: dto.firstName } : {}),
          ...(dto.lastName ? { lastName: dto.lastName } : {}),
          ...(dto.email ? { email: dto.email } : {}),
          ...(dto.company ? { company: dto.company } : {}),
          ...(dto.city ? { city: dto.city } : {}),
          ...(dto.country ? { country: dto.country } : {}),
          ...(locked.phone ? { phone: locked.phone } : {}),
          ...(locked.userId && locked.userId !== locked.contactKey ? { otherExternalIds: [locked.userId] } : {}),
          source: referralSource(locked.referral),
        },
      );
      await this.link(locked, applied.leadId, 'capture', user.sub, { capturedLeadId: applied.leadId });
      // the capture is a status change like PATCH's (issue 13 point 1): a fact analytics count
      await this.leadWriter.markContactedByCapture(locked.subAccountId, applied.leadId, user.sub, locked.channel);
      return { leadId: applied.leadId, created: applied.created };
    });
    return { created: result.created, lead: await this.leads.get(user, result.leadId) };
  }

  async autoLinkAll(user: AuthUser, dto: AutoLinkDto): Promise<AutoLinkResultDto> {
    assertCanActOn(user, dto.subAccountId);
    let linked = 0;
    let unmatched = 0;
    for (const row of await this.repository.unlinkedWithPhone(dto.subAccountId)) {
      const after = await this.autoLink(row);
      if (after.leadId !== null) linked++;
      else unmatched++;
    }
    return { linked, unmatched };
  }

  // ---- internals

  private async autoLink(row: ConversationRow): Promise<ConversationRow> {
    const phone = row.phone ?? row.phoneNormalized;
    if (!phone) return row;
    const keys = [...new Set([...phoneMatchKeys(phone), ...(row.phoneNormalized ? [row.phoneNormalized] : [])])];
    const leadId = await this.leadWriter.leadByPhones(row.subAccountId, keys);
    return leadId !== null ? this.link(row, leadId, 'auto', null, { ifUnlinked: true }) : row;
  }

  private async link(
    row: ConversationRow,
    leadId: bigint,
    source: string,
    by: string | null,
    options: {
      capturedLeadId?: bigint;
      /** Links made for the agent (auto-link, a send to a lead): a link someone made meanwhile stands. */
      ifUnlinked?: boolean;
    } = {},
  ): Promise<ConversationRow> {
    return this.transactions.run(async () => {
      // a Messenger / Instagram person's events are written to the lead their id names (interactions
      // included): a person's link moves the id, or the messages after it went to the earlier lead
      if (source === 'manual' && row.channel !== 'whatsapp')
        await this.leadWriter.moveExternal(
          row.subAccountId,
          { platform: row.channel, externalId: row.contactKey },
          leadId,
        );
      // the link as it is now, locked: two tabs linking at once each see the other's lead (and move its
      // timeline entries), rather than both reading "unlinked" and leaving the messages on the first one
      const current = await this.repository.lock(row.id);
      if (!current) throw DomainException.notFound('Conversation');
      if (options.ifUnlinked && current.leadId !== null) return current;
      if (current.leadId !== null && current.leadId !== leadId) {
        const old = await this.messages.conversationMessages(row.id);
        await this.leadWriter.removeTimelineEntries(
          row.subAccountId,
          old.map((m) => timelineOrigin(m.id)),
        );
      }
      const linked = await this.repository.setLead(row.id, leadId, source, by, options.capturedLeadId);
      for (const message of await this.messages.conversationMessages(row.id)) await this.addToTimeline(linked, message);
      return linked;
    });
  }

  private async visible(user: AuthUser, id: bigint, channel: string | null): Promise<ConversationRow> {
    const row = await this.repository.find(scopeOf(user), id);
    // the WhatsApp routes know no Messenger or Instagram conversation, as their lists show none
    if (!row || (channel !== null && row.channel !== channel)) throw DomainException.notFound('Conversation');
    return row;
  }

  private async toDtos(rows: ConversationRow[]): Promise<ConversationDto[]> {
    const bySub = new Map<number, ConversationRow[]>();
    for (const r of rows) bySub.set(r.subAccountId, [...(bySub.get(r.subAccountId) ?? []), r]);
    const scopes = new Map<bigint, 'marketing' | 'all' | null>();
    for (const [sub, list] of bySub) {
      const found = await this.optOuts.scopesFor(
        sub,
        list.map((r) => ({ waId: r.waId, phone: r.phone })),
      );
      list.forEach((r, i) => scopes.set(r.id, found[i]));
    }
    return rows.map((r) => {
      const until = windowOpenUntil(r.lastInboundAt);
      const scope = scopes.get(r.id) ?? null;
      return {
        id: r.id.toString(),
        subAccountId: r.subAccountId,
        integrationId: r.integrationId,
        channel: r.channel,
        contact: { waId: r.waId, userId: r.userId, phone: r.phone, profileName: r.profileName, username: r.username },
        leadId: r.leadId?.toString() ?? null,
        lastMessageAt: r.lastMessageAt?.toISOString() ?? null,
        lastInboundAt: r.lastInboundAt?.toISOString() ?? null,
        windowOpenUntil: until?.toISOString() ?? null,
        unread: r.unreadCount,
        optedOut: scope !== null,
        optOutScope: scope,
        referral: r.referral,
        createdAt: r.createdAt.toISOString(),
      };
    });
  }
}
