import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { ConfigCodec } from './config-codec';
import { ConfigSchemaService } from './config-schema.service';
import { IntegrationHandlersController, IntegrationTemplatesController } from './integration-templates.controller';
import { IntegrationTemplatesRepository } from './integration-templates.repository';
import { IntegrationTemplatesService } from './integration-templates.service';

@Module({
  imports: [AuditModule],
  controllers: [IntegrationTemplatesController, IntegrationHandlersController],
  providers: [IntegrationTemplatesService, IntegrationTemplatesRepository, ConfigSchemaService, ConfigCodec],
  exports: [IntegrationTemplatesService, IntegrationTemplatesRepository, ConfigSchemaService, ConfigCodec],
})
export class IntegrationTemplatesModule {}
