import { Module } from '@nestjs/common';
import { IntegrationsModule } from '../integrations/integrations.module';
import { LeadsModule } from '../leads/leads.module';
import { WhatsAppModule } from '../whatsapp/whatsapp.module';
import { ChannelInboxService } from './channel-inbox.service';
import { ConversationsController } from './conversations.controller';
import { MessagesController } from './messages.controller';
import { MessagingInboxRepository } from './messaging-inbox.repository';
import { MessagingInboxService } from './messaging-inbox.service';
import { MessagingOptOutsRepository } from './messaging-opt-outs.repository';
import { MessagingOutboxRepository } from './messaging-outbox.repository';
import { MessagingSendService } from './messaging-send.service';
import { MessagingSenderService } from './messaging-sender.service';

/** Messenger and Instagram Direct on the channel-neutral conversation model (issue 16). */
@Module({
  imports: [IntegrationsModule, LeadsModule, WhatsAppModule],
  controllers: [MessagesController, ConversationsController],
  providers: [
    ChannelInboxService,
    MessagingInboxService,
    MessagingOptOutsRepository,
    MessagingInboxRepository,
    MessagingSendService,
    MessagingSenderService,
    MessagingOutboxRepository,
  ],
  exports: [MessagingInboxService],
})
export class MessagingModule {}
