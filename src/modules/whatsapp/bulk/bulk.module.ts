import { Module } from '@nestjs/common';
import { AnalyticsModule } from '../../analytics/analytics.module';
import { IdempotencyModule } from '../../../common/idempotency/idempotency.module';
import { IntegrationsModule } from '../../integrations/integrations.module';
import { WhatsAppModule } from '../whatsapp.module';
import { BulkLedgerSync } from './bulk-ledger-sync';
import { BulkContactsRepository } from './bulk-contacts.repository';
import { BulkLedgerRepository } from './bulk-ledger.repository';
import { BulkController } from './bulk.controller';
import { BulkPolicy } from './bulk-policy';
import { BulkRateLimiter } from './bulk-rate';
import { BulkRequestResolver } from './bulk-request-resolver';
import { BulkRepository } from './bulk.repository';
import { BulkRunner } from './bulk-runner';
import { BulkSender } from './bulk-sender';
import { BulkService } from './bulk.service';

/** WhatsApp bulk sends (issue 12 point 5): the ledger, its runners and the routes. */
@Module({
  imports: [IntegrationsModule, WhatsAppModule, AnalyticsModule, IdempotencyModule],
  controllers: [BulkController],
  providers: [
    BulkService,
    BulkRequestResolver,
    BulkRepository,
    BulkLedgerRepository,
    BulkContactsRepository,
    BulkPolicy,
    BulkRateLimiter,
    BulkRunner,
    BulkSender,
    BulkLedgerSync,
  ],
})
export class WhatsAppBulkModule {}
