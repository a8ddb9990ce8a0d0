import { Module } from '@nestjs/common';
import { AuthModule } from './common/auth/auth.module';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { JobsModule } from './jobs/jobs.module';
import { LoggingModule } from './logging/logging.module';
import { AuditModule } from './modules/audit/audit.module';
import { MeModule } from './modules/me/me.module';
import { SubAccountsModule } from './modules/sub-accounts/sub-accounts.module';

@Module({
  imports: [
    ConfigModule,
    LoggingModule,
    DatabaseModule,
    JobsModule.forRoot(),
    AuthModule,
    HealthModule,
    AuditModule,
    MeModule,
    SubAccountsModule,
  ],
})
export class AppModule {}
