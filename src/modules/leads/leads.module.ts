import { Module } from '@nestjs/common';
import { LeadWriterService } from './lead-writer.service';
import { LeadsWriteRepository } from './leads-write.repository';
import { LeadsController } from './leads.controller';
import { LeadsRepository } from './leads.repository';
import { LeadsService } from './leads.service';

@Module({
  controllers: [LeadsController],
  providers: [LeadsService, LeadWriterService, LeadsRepository, LeadsWriteRepository],
  exports: [LeadsService, LeadWriterService],
})
export class LeadsModule {}
