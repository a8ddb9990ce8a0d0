import { Module } from '@nestjs/common';
import { AnalyticsModule } from '../analytics/analytics.module';
import { AuditModule } from '../audit/audit.module';
import { IntegrationTemplatesModule } from '../integration-templates/integration-templates.module';
import { HandlerContextFactory } from './handler-context.factory';
import { IntegrationConfigService } from './integration-config.service';
import { IntegrationConnectionsService } from './integration-connections.service';
import { IntegrationsController } from './integrations.controller';
import { IntegrationsRepository } from './integrations.repository';
import { IntegrationsService } from './integrations.service';

@Module({
  imports: [AuditModule, IntegrationTemplatesModule, AnalyticsModule],
  controllers: [IntegrationsController],
  providers: [
    IntegrationsService,
    IntegrationConfigService,
    IntegrationConnectionsService,
    IntegrationsRepository,
    HandlerContextFactory,
  ],
  exports: [IntegrationsService, IntegrationsRepository, HandlerContextFactory],
})
export class IntegrationsModule {}
