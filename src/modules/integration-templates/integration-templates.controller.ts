import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
  ApiOperation,
} from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Roles } from '../../common/auth/decorators';
import { ApiPaginatedResponse } from '../../common/http/api-paginated-response';
import { Page } from '../../common/http/pagination';
import { ParseIdPipe } from '../../common/http/parse-id.pipe';
import {
  CreateTemplateDto,
  HandlerInfoDto,
  ListTemplatesQueryDto,
  TemplateDto,
  UpdatedTemplateDto,
  UpdateTemplateDto,
} from './dto/template.dto';
import { IntegrationTemplatesService } from './integration-templates.service';
import { ApiErrors } from '../../common/http/api-errors.decorator';

@ApiTags('integration-templates')
@ApiBearerAuth()
@ApiErrors(401, 403)
@Controller('integration-templates')
export class IntegrationTemplatesController {
  constructor(private readonly service: IntegrationTemplatesService) {}

  @Get()
  @Roles('SUPER_ADMIN', 'ADMIN', 'MANAGER')
  @ApiPaginatedResponse(TemplateDto)
  @ApiOperation({
    summary: 'List integration templates',
    description:
      'Active templates only, unless a SUPER_ADMIN asks for `includeInactive=true`; `category` filters case-insensitively. Pages of up to 200 (`pageSize`, default 50).',
  })
  @ApiErrors(400)
  list(@CurrentUser() user: AuthUser, @Query() query: ListTemplatesQueryDto): Promise<Page<TemplateDto>> {
    return this.service.list(user, query);
  }

  @Get(':id')
  @Roles('SUPER_ADMIN', 'ADMIN', 'MANAGER')
  @ApiOkResponse({ type: TemplateDto })
  @ApiOperation({ summary: 'Get an integration template' })
  @ApiErrors(400, 404)
  get(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<TemplateDto> {
    return this.service.get(user, id);
  }

  @Post()
  @Roles('SUPER_ADMIN')
  @ApiCreatedResponse({ type: TemplateDto })
  @ApiOperation({
    summary: 'Create an integration template',
    description:
      '`name` is a unique slug; `handler` must be a registered handler (GET /api/integration-handlers); `configSchema` is a JSON Schema (draft 2020-12) that must compile under Ajv strict mode and be an object schema. Properties marked `"x-secret": true` hold secrets.',
  })
  @ApiErrors(
    [
      400,
      'VALIDATION_FAILED (a bad or unknown field, an unknown handler) or CONFIG_SCHEMA_INVALID (configSchema does not compile under Ajv strict mode or is not an object schema; Ajv messages in details)',
    ],
    [409, 'CONFLICT: a template with this name exists'],
  )
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateTemplateDto): Promise<TemplateDto> {
    return this.service.create(user, dto);
  }

  @Patch(':id')
  @Roles('SUPER_ADMIN')
  @ApiOkResponse({ type: UpdatedTemplateDto })
  @ApiOperation({
    summary: 'Update an integration template',
    description:
      'Every field optional. A changed configSchema re-validates the integrations of the template: those that no longer conform are listed in `nonConforming`.',
  })
  @ApiErrors(
    [
      400,
      'VALIDATION_FAILED (a bad or unknown field, an unknown handler) or CONFIG_SCHEMA_INVALID (configSchema does not compile under Ajv strict mode or is not an object schema; Ajv messages in details)',
    ],
    404,
    [
      409,
      'CONFLICT: the name is taken, the handler of a template in use would change, or the schema changes which fields are secret while integrations hold values there',
    ],
  )
  update(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe) id: number,
    @Body() dto: UpdateTemplateDto,
  ): Promise<UpdatedTemplateDto> {
    return this.service.update(user, id, dto);
  }

  @Delete(':id')
  @Roles('SUPER_ADMIN')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiOperation({
    summary: 'Delete an integration template',
    description: 'Refused while integrations use it: deactivate it with `isActive: false` instead.',
  })
  @ApiErrors(400, 404, [409, 'CONFLICT: integrations use the template (their count in details)'])
  remove(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<void> {
    return this.service.remove(user, id);
  }
}

@ApiTags('integration-templates')
@ApiBearerAuth()
@ApiErrors(401, 403)
@Controller('integration-handlers')
export class IntegrationHandlersController {
  constructor(private readonly service: IntegrationTemplatesService) {}

  @Get()
  @Roles('SUPER_ADMIN', 'ADMIN', 'MANAGER')
  @ApiOkResponse({ type: HandlerInfoDto, isArray: true })
  @ApiOperation({
    summary: 'List the registered handlers',
    description: 'Each handler with its capabilities (webhook, sync, test, send) and default config schema.',
  })
  list(): HandlerInfoDto[] {
    return this.service.handlers();
  }
}
