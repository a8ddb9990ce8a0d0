import { Module } from '@nestjs/common';
import { IntegrationTemplatesModule } from '../modules/integration-templates/integration-templates.module';
import { SubAccountsModule } from '../modules/sub-accounts/sub-accounts.module';
import { SeedService } from './seed.service';

@Module({
  imports: [IntegrationTemplatesModule, SubAccountsModule],
  providers: [SeedService],
  exports: [SeedService],
})
export class SeedModule {}
