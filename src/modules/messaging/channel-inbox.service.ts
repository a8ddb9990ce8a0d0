import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../../common/auth/auth-user';
import { Page } from '../../common/http/pagination';
import { LeadDetailDto } from '../leads/dto/lead.dto';
import { CaptureLeadDto, ConversationDetailQueryDto, ConversationDto } from '../whatsapp/dto/conversation.dto';
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

/** The contact as its channel knows it: waId on WhatsApp, psid on Messenger, igsid and username on Instagram. */
export function channelContact(c: ConversationDto): ChannelContactDto {
  const { waId, userId, phone, profileName, username } = c.contact;
  // Messenger / Instagram conversations keep the person's id as user_id (= contact_key)
  if (c.channel === 'messenger') return { psid: userId ?? '', profileName };
  if (c.channel === 'instagram') return { igsid: userId ?? '', username, profileName };
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
  ) {}

  async listConversations(
    user: AuthUser,
    query: ListChannelConversationsQueryDto,
  ): Promise<Page<ChannelConversationDto>> {
    const page = await this.conversations.list(user, query, query.channel ?? null);
    return { ...page, items: page.items.map(toChannelDto) };
  }

  async getConversation(
    user: AuthUser,
    id: bigint,
    query: ConversationDetailQueryDto,
  ): Promise<ChannelConversationDetailDto> {
    return toChannelDto(await this.conversations.get(user, id, query));
  }

  async link(user: AuthUser, id: bigint, leadId: bigint): Promise<ChannelConversationDto> {
    return toChannelDto(await this.conversations.linkTo(user, id, leadId));
  }

  captureLead(user: AuthUser, id: bigint, dto: CaptureLeadDto): Promise<{ created: boolean; lead: LeadDetailDto }> {
    return this.conversations.captureLead(user, id, dto);
  }

  listMessages(user: AuthUser, query: ListChannelMessagesQueryDto): Promise<Page<MessageDto>> {
    return this.messages.list(user, query, query.channel ?? null);
  }
}
