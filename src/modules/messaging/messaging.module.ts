import { Module } from '@nestjs/common';
import { IntegrationsModule } from '../integrations/integrations.module';
import { MessagesController } from './messages.controller';
import { MessagingInboxRepository } from './messaging-inbox.repository';
import { MessagingInboxService } from './messaging-inbox.service';
import { MessagingOutboxRepository } from './messaging-outbox.repository';
import { MessagingSendService } from './messaging-send.service';

/** Messenger and Instagram Direct on the channel-neutral conversation model (issue 16). */
@Module({
  imports: [IntegrationsModule],
  controllers: [MessagesController],
  providers: [MessagingInboxService, MessagingInboxRepository, MessagingSendService, MessagingOutboxRepository],
  exports: [MessagingInboxService],
})
export class MessagingModule {}
