import { Module } from '@nestjs/common';
import { IntegrationTemplatesModule } from '../integration-templates/integration-templates.module';
import { IntegrationsModule } from '../integrations/integrations.module';
import { LeadsModule } from '../leads/leads.module';
import { MessagingModule } from '../messaging/messaging.module';
import { WhatsAppModule } from '../whatsapp/whatsapp.module';
import { IntegrationEventsController } from './integration-events.controller';
import { IntegrationHealthController } from './integration-health.controller';
import { WebhookEventsController } from './webhook-events.controller';
import { WebhookEventsRepository } from './webhook-events.repository';
import { WebhookEventsService } from './webhook-events.service';
import { WebhookIngestService } from './webhook-ingest.service';
import { WebhookProcessor } from './webhook-processor';
import { WebhookRetentionProcessor } from './webhook-retention.processor';
import { WebhookRoutingRepository } from './webhook-routing.repository';
import { WebhookTargets } from './webhook-targets';
import { WebhooksController } from './webhooks.controller';

@Module({
  imports: [IntegrationsModule, IntegrationTemplatesModule, LeadsModule, WhatsAppModule, MessagingModule],
  controllers: [WebhooksController, IntegrationEventsController, IntegrationHealthController, WebhookEventsController],
  providers: [
    WebhookIngestService,
    WebhookEventsService,
    WebhookEventsRepository,
    WebhookProcessor,
    WebhookRetentionProcessor,
    WebhookRoutingRepository,
    WebhookTargets,
  ],
})
export class WebhooksModule {}
