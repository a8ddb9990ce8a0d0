import { Module } from '@nestjs/common';
import { IdempotencyModule } from '../../common/idempotency/idempotency.module';
import { LeadCommandsService } from './lead-commands.service';
import { LeadFactsRepository } from './lead-facts.repository';
import { LeadTimelineRepository } from './lead-timeline.repository';
import { LeadWriterService } from './lead-writer.service';
import { LeadsWriteRepository } from './leads-write.repository';
import { LeadsController } from './leads.controller';
import { LeadsRepository } from './leads.repository';
import { LeadsService } from './leads.service';

@Module({
  imports: [IdempotencyModule],
  controllers: [LeadsController],
  providers: [
    LeadsService,
    LeadCommandsService,
    LeadWriterService,
    LeadsRepository,
    LeadsWriteRepository,
    LeadFactsRepository,
    LeadTimelineRepository,
  ],
  exports: [LeadsService, LeadWriterService],
})
export class LeadsModule {}
