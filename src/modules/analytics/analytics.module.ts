import { Module } from '@nestjs/common';
import { AnalyticsFiguresService } from './analytics-figures.service';
import { AnalyticsCompactProcessor } from './analytics-compact.processor';
import { AnalyticsRebuildProcessor } from './analytics-rebuild.processor';
import { AnalyticsRowsService } from './analytics-rows.service';
import { AnalyticsController } from './analytics.controller';
import { AnalyticsMaintenanceRepository } from './analytics-maintenance.repository';
import { AnalyticsPathsRepository } from './analytics-paths.repository';
import { AnalyticsRepository } from './analytics.repository';
import { AnalyticsService } from './analytics.service';
import { LeadScoreDecayProcessor } from './lead-score-decay.processor';

/** Issue 13: facts → rollup → dashboards; AnalyticsFiguresService and AnalyticsRowsService are what reports read. */
@Module({
  controllers: [AnalyticsController],
  providers: [
    AnalyticsService,
    AnalyticsFiguresService,
    AnalyticsRowsService,
    AnalyticsRepository,
    AnalyticsPathsRepository,
    AnalyticsMaintenanceRepository,
    AnalyticsRebuildProcessor,
    AnalyticsCompactProcessor,
    LeadScoreDecayProcessor,
  ],
  exports: [AnalyticsFiguresService, AnalyticsRowsService, AnalyticsMaintenanceRepository],
})
export class AnalyticsModule {}
