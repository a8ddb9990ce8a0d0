import { Module } from '@nestjs/common';
import { AnalyticsModule } from '../analytics/analytics.module';
import { AuditModule } from '../audit/audit.module';
import { IntegrationTemplatesModule } from '../integration-templates/integration-templates.module';
import { HandlerContextFactory } from './handler-context.factory';
import { IntegrationChanges } from './integration-changes';
import { IntegrationConfigService } from './integration-config.service';
import { IntegrationConnectionsService } from './integration-connections.service';
import { IntegrationsController } from './integrations.controller';
import { IntegrationsRepository } from './integrations.repository';
import { IntegrationsService } from './integrations.service';
import { IntegrationOAuthRepository } from './integration-oauth.repository';
import { OAuthRefreshSweep } from './oauth-refresh-sweep.processor';
import { OAuthTokensService } from './oauth-tokens.service';
import { WabaSubscriptionsService } from './waba-subscriptions.service';

@Module({
  imports: [AuditModule, IntegrationTemplatesModule, AnalyticsModule],
  controllers: [IntegrationsController],
  providers: [
    IntegrationChanges,
    IntegrationsService,
    IntegrationConfigService,
    IntegrationConnectionsService,
    IntegrationsRepository,
    HandlerContextFactory,
    IntegrationOAuthRepository,
    OAuthTokensService,
    OAuthRefreshSweep,
    WabaSubscriptionsService,
  ],
  exports: [
    IntegrationChanges,
    IntegrationsService,
    IntegrationsRepository,
    HandlerContextFactory,
    IntegrationConnectionsService,
    OAuthTokensService,
  ],
})
export class IntegrationsModule {}
