import { Module } from '@nestjs/common';
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
  controllers: [ReportTemplatesController, ReportsController],
  providers: [
    // What reports read: the lead tables directly until the analytics services replace this binding.
    { provide: REPORT_DATA_SOURCE, useClass: ReportDataRepository },
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
