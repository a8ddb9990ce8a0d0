import { Module } from '@nestjs/common';
import { AnalyticsModule } from '../analytics/analytics.module';
import { AnalyticsReportDataSource } from './data/analytics-report-data-source';
import { REPORT_DATA_SOURCE } from './data/report-data-source';
import { ReportDataRepository } from './data/report-data.repository';
import { ReportGenerator } from './generation/report-generator';
import { ReportStorage } from './generation/report-storage';
import { ReportTemplatesController } from './report-templates.controller';
import { ReportsController } from './reports.controller';
import { ReportsRepository } from './reports.repository';
import { ReportsService } from './reports.service';
import { ReportScheduler } from './schedule/report-scheduler';
import { ReportTemplatesRepository } from './templates/report-templates.repository';
import { ReportTemplatesService } from './templates/report-templates.service';

@Module({
  imports: [AnalyticsModule],
  controllers: [ReportTemplatesController, ReportsController],
  providers: [
    // What reports read: the analytics figures (the dashboard's numbers); detail rows from the leads.
    ReportDataRepository,
    { provide: REPORT_DATA_SOURCE, useClass: AnalyticsReportDataSource },
    ReportTemplatesRepository,
    ReportTemplatesService,
    ReportsRepository,
    ReportsService,
    ReportStorage,
    ReportGenerator,
    ReportScheduler,
  ],
})
export class ReportsModule {}
