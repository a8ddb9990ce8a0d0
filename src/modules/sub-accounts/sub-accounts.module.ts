import { Module } from '@nestjs/common';
import { AnalyticsModule } from '../analytics/analytics.module';
import { AuditModule } from '../audit/audit.module';
import { SubAccountsController } from './sub-accounts.controller';
import { SubAccountsRepository } from './sub-accounts.repository';
import { SubAccountsService } from './sub-accounts.service';

@Module({
  imports: [AuditModule, AnalyticsModule],
  controllers: [SubAccountsController],
  providers: [SubAccountsService, SubAccountsRepository],
  exports: [SubAccountsRepository],
})
export class SubAccountsModule {}
