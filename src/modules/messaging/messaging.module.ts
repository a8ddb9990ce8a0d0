import { Module } from '@nestjs/common';
import { MessagingInboxRepository } from './messaging-inbox.repository';
import { MessagingInboxService } from './messaging-inbox.service';

/** Messenger and Instagram Direct on the channel-neutral conversation model (issue 16). */
@Module({
  providers: [MessagingInboxService, MessagingInboxRepository],
  exports: [MessagingInboxService],
})
export class MessagingModule {}
