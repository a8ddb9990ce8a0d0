import { Module } from '@nestjs/common';
import { LeadsWriteRepository } from './leads-write.repository';
import { LeadsController } from './leads.controller';
import { LeadsRepository } from './leads.repository';
import { LeadsService } from './leads.service';

@Module({
  controllers: [LeadsController],
  providers: [LeadsService, LeadsRepository, LeadsWriteRepository],
  exports: [LeadsService],
})
export class LeadsModule {}
