import { Module } from '@nestjs/common';
import { AuthModule } from './common/auth/auth.module';
import { CryptoModule } from './common/crypto/crypto.module';
import { OutboundModule } from './common/outbound/outbound.module';
import { DatabaseModule } from './database/database.module';
import { HandlersModule } from './handlers/handlers.module';
import { HealthModule } from './health/health.module';
import { JobsModule } from './jobs/jobs.module';
import { LoggingModule } from './logging/logging.module';
import { AnalyticsModule } from './modules/analytics/analytics.module';
import { AuditModule } from './modules/audit/audit.module';
import { GoHighLevelModule } from './modules/gohighlevel/gohighlevel.module';
import { IntegrationTemplatesModule } from './modules/integration-templates/integration-templates.module';
import { IntegrationsModule } from './modules/integrations/integrations.module';
import { LeadsModule } from './modules/leads/leads.module';
import { MeModule } from './modules/me/me.module';
import { MessagingModule } from './modules/messaging/messaging.module';
import { ReportsModule } from './modules/reports/reports.module';
import { OAuthModule } from './modules/oauth/oauth.module';
import { SubAccountsModule } from './modules/sub-accounts/sub-accounts.module';
import { SyncModule } from './modules/sync/sync.module';
import { WebhooksModule } from './modules/webhooks/webhooks.module';
import { WhatsAppModule } from './modules/whatsapp/whatsapp.module';
import { WhatsAppBulkModule } from './modules/whatsapp/bulk/bulk.module';
import { SeedModule } from './seed/seed.module';

/** Feature modules only; createApp adds the configuration (ConfigModule.forRoot) it was given. */
@Module({
  imports: [
    LoggingModule,
    DatabaseModule,
    JobsModule.forRoot(),
    CryptoModule,
    OutboundModule,
    HandlersModule,
    AuthModule,
    HealthModule,
    AuditModule,
    AnalyticsModule,
    MeModule,
    SubAccountsModule,
    IntegrationTemplatesModule,
    IntegrationsModule,
    LeadsModule,
    WebhooksModule,
    MessagingModule,
    SyncModule,
    GoHighLevelModule,
    ReportsModule,
    WhatsAppModule,
    WhatsAppBulkModule,
    OAuthModule,
    SeedModule,
  ],
})
export class AppModule {}
