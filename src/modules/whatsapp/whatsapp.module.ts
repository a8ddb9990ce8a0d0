import { Module } from '@nestjs/common';
import { IdempotencyModule } from '../../common/idempotency/idempotency.module';
import { AnalyticsModule } from '../analytics/analytics.module';
import { IntegrationsModule } from '../integrations/integrations.module';
import { LeadsModule } from '../leads/leads.module';
import { ConversationsRepository } from './conversations.repository';
import { MessagesRepository } from './messages.repository';
import { OptOutsRepository } from './opt-outs.repository';
import { WhatsAppAnalyticsService } from './whatsapp-analytics.service';
import { WhatsAppConversationsService } from './whatsapp-conversations.service';
import { WhatsAppEventsService } from './whatsapp-events.service';
import { WhatsAppNumbersRepository } from './whatsapp-numbers.repository';
import { WhatsAppNumbersService } from './whatsapp-numbers.service';
import { WhatsAppOptOutsService } from './whatsapp-opt-outs.service';
import { WhatsAppPairLimiter } from './whatsapp-pair-limiter.service';
import { WhatsAppPairLimitsRepository } from './whatsapp-pair-limits.repository';
import { WhatsAppDeliveryService } from './whatsapp-delivery.service';
import { WhatsAppSendService } from './whatsapp-send.service';
import { WhatsAppStatusService } from './whatsapp-status.service';
import { WhatsAppTemplatesRepository } from './whatsapp-templates.repository';
import { WhatsAppTemplatesResync } from './whatsapp-templates-resync';
import { WhatsAppTemplatesService } from './whatsapp-templates.service';
import {
  WhatsAppAnalyticsController,
  WhatsAppConversationsController,
  WhatsAppMessagesController,
  WhatsAppOptOutsController,
  WhatsAppTemplatesController,
} from './whatsapp.controller';

/** Issue 12: WhatsApp templates, sends, statuses, conversations linked to leads, opt-outs, analytics. */
@Module({
  imports: [IntegrationsModule, LeadsModule, AnalyticsModule, IdempotencyModule],
  controllers: [
    WhatsAppTemplatesController,
    WhatsAppMessagesController,
    WhatsAppConversationsController,
    WhatsAppOptOutsController,
    WhatsAppAnalyticsController,
  ],
  providers: [
    WhatsAppNumbersRepository,
    WhatsAppTemplatesRepository,
    ConversationsRepository,
    MessagesRepository,
    OptOutsRepository,
    WhatsAppPairLimitsRepository,
    WhatsAppPairLimiter,
    WhatsAppNumbersService,
    WhatsAppTemplatesResync,
    WhatsAppTemplatesService,
    WhatsAppOptOutsService,
    WhatsAppConversationsService,
    WhatsAppStatusService,
    WhatsAppSendService,
    WhatsAppDeliveryService,
    WhatsAppEventsService,
    WhatsAppAnalyticsService,
  ],
  exports: [
    WhatsAppNumbersService,
    WhatsAppTemplatesService,
    WhatsAppTemplatesResync,
    WhatsAppOptOutsService,
    WhatsAppConversationsService,
    WhatsAppStatusService,
    WhatsAppSendService,
    WhatsAppDeliveryService,
    WhatsAppEventsService,
    WhatsAppPairLimiter,
    ConversationsRepository,
    MessagesRepository,
  ],
})
export class WhatsAppModule {}
