import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../../common/auth/auth-user';
import { Page } from '../../common/http/pagination';
import { LeadDetailDto } from '../leads/dto/lead.dto';
import {
  CaptureLeadDto,
  ConversationDetailQueryDto,
  ConversationDto,
  LinkConversationDto,
} from '../whatsapp/dto/conversation.dto';
import { MessageDto } from '../whatsapp/dto/message.dto';
import { WhatsAppConversationsService } from '../whatsapp/whatsapp-conversations.service';
import { WhatsAppSendService } from '../whatsapp/whatsapp-send.service';
import {
  ChannelContactDto,
  ChannelConversationDetailDto,
  ChannelConversationDto,
  ListChannelConversationsQueryDto,
  ListChannelMessagesQueryDto,
} from './dto/inbox.dto';
import { MessagingOptOutsRepository } from './messaging-opt-outs.repository';

/** The contact as its channel knows it: waId on WhatsApp, psid on Messenger, igsid and username on Instagram. */
export function channelContact(c: ConversationDto): ChannelContactDto {
  const { waId, userId, phone, profileName, username } = c.contact;
  // Messenger / Instagram conversations keep the person's id as user_id (= contact_key). The rest of
  // WhatsApp's contact keys stay (API.md: "the WhatsApp shapes plus channel"), null when unknown: these
  // channels have no business-scoped user id, and a phone only when one was stored for the person
  if (c.channel === 'messenger') return { psid: userId ?? '', userId: null, phone, profileName, username };
  if (c.channel === 'instagram') return { igsid: userId ?? '', userId: null, phone, profileName, username };
  return { waId, userId, phone, profileName, username };
}

function toChannelDto<T extends ConversationDto>(c: T): Omit<T, 'contact'> & { contact: ChannelContactDto } {
  return { ...c, contact: channelContact(c) };
}

/**
 * One inbox for WhatsApp, Messenger and Instagram (API.md "Messaging channels"): the WhatsApp
 * conversation and message model and its rules (scope, 403 for a foreign subAccountId, 404 for a
 * foreign record), every channel unless `channel` narrows it.
 */
@Injectable()
export class ChannelInboxService {
  constructor(
    private readonly conversations: WhatsAppConversationsService,
    private readonly messages: WhatsAppSendService,
    private readonly optOuts: MessagingOptOutsRepository,
  ) {}

  async listConversations(
    user: AuthUser,
    query: ListChannelConversationsQueryDto,
  ): Promise<Page<ChannelConversationDto>> {
    const page = await this.conversations.list(user, query, query.channel ?? null);
    return { ...page, items: await this.withOptOuts(page.items.map(toChannelDto)) };
  }

  async getConversation(
    user: AuthUser,
    id: bigint,
    query: ConversationDetailQueryDto,
  ): Promise<ChannelConversationDetailDto> {
    const [dto] = await this.withOptOuts([toChannelDto(await this.conversations.get(user, id, query, null))]);
    return dto;
  }

  async link(user: AuthUser, id: bigint, link: LinkConversationDto): Promise<ChannelConversationDto> {
    const [dto] = await this.withOptOuts([toChannelDto(await this.conversations.linkTo(user, id, link, null))]);
    return dto;
  }

  captureLead(user: AuthUser, id: bigint, dto: CaptureLeadDto): Promise<{ created: boolean; lead: LeadDetailDto }> {
    return this.conversations.captureLead(user, id, dto, null);
  }

  listMessages(user: AuthUser, query: ListChannelMessagesQueryDto): Promise<Page<MessageDto>> {
    return this.messages.list(user, query, query.channel ?? null);
  }

  /** Messenger / Instagram conversations are opted out by their own channel's list (WhatsApp's says nothing). */
  private async withOptOuts<T extends ChannelConversationDto>(items: T[]): Promise<T[]> {
    const keyOf = (c: T): string => c.contact.psid ?? c.contact.igsid ?? '';
    const groups = new Map<string, T[]>();
    for (const c of items) {
      if (c.channel === 'whatsapp') continue;
      const key = `${c.subAccountId}:${c.integrationId}`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    const out = new Set<string>();
    for (const group of groups.values()) {
      const opted = await this.optOuts.optedOut(group[0].subAccountId, group[0].integrationId, group.map(keyOf));
      for (const c of group) if (opted.has(keyOf(c))) out.add(c.id);
    }
    return items.map((c) =>
      c.channel === 'whatsapp'
        ? c
        : { ...c, optedOut: out.has(c.id), optOutScope: out.has(c.id) ? ('all' as const) : null },
    );
  }
}
