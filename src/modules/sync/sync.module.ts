import { Module } from '@nestjs/common';
import { IntegrationsModule } from '../integrations/integrations.module';
import { LeadsModule } from '../leads/leads.module';
import { IntegrationSyncRunsController } from './integration-sync-runs.controller';
import { IntegrationSyncController } from './integration-sync.controller';
import { SyncProcessor } from './sync-processor';
import { SyncRunsRepository } from './sync-runs.repository';
import { SyncService } from './sync.service';
import { TrafficRepository } from './traffic.repository';
import { AnalyticsModule } from '../analytics/analytics.module';

@Module({
  imports: [IntegrationsModule, LeadsModule, AnalyticsModule],
  controllers: [IntegrationSyncController, IntegrationSyncRunsController],
  providers: [SyncService, SyncRunsRepository, SyncProcessor, TrafficRepository],
})
export class SyncModule {}
