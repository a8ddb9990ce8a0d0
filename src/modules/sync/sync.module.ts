import { Module } from '@nestjs/common';
import { IntegrationsModule } from '../integrations/integrations.module';
import { LeadsModule } from '../leads/leads.module';
import { GhlController } from './ghl.controller';
import { SyncProcessor } from './sync-processor';
import { SyncRunsRepository } from './sync-runs.repository';
import { SyncController } from './sync.controller';
import { TrafficRepository } from './traffic.repository';

@Module({
  imports: [IntegrationsModule, LeadsModule],
  controllers: [SyncController, GhlController],
  providers: [SyncRunsRepository, SyncProcessor, TrafficRepository],
})
export class SyncModule {}
