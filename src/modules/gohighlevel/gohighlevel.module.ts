import { Module } from '@nestjs/common';
import { IntegrationsModule } from '../integrations/integrations.module';
import { LeadsModule } from '../leads/leads.module';
import { GoHighLevelController } from './gohighlevel.controller';
import { GoHighLevelService } from './gohighlevel.service';

/** GoHighLevel passthrough (API.md "GoHighLevel passthrough"): calendars, slots, contact push. */
@Module({
  imports: [IntegrationsModule, LeadsModule],
  controllers: [GoHighLevelController],
  providers: [GoHighLevelService],
})
export class GoHighLevelModule {}
