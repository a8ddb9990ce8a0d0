import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
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

@ApiTags('integration-templates')
@ApiBearerAuth()
@Controller('integration-templates')
export class IntegrationTemplatesController {
  constructor(private readonly service: IntegrationTemplatesService) {}

  @Get()
  @Roles('SUPER_ADMIN', 'ADMIN', 'MANAGER')
  @ApiPaginatedResponse(TemplateDto)
  list(@CurrentUser() user: AuthUser, @Query() query: ListTemplatesQueryDto): Promise<Page<TemplateDto>> {
    return this.service.list(user, query);
  }

  @Get(':id')
  @Roles('SUPER_ADMIN', 'ADMIN', 'MANAGER')
  @ApiOkResponse({ type: TemplateDto })
  get(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<TemplateDto> {
    return this.service.get(user, id);
  }

  @Post()
  @Roles('SUPER_ADMIN')
  @ApiCreatedResponse({ type: TemplateDto })
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateTemplateDto): Promise<TemplateDto> {
    return this.service.create(user, dto);
  }

  @Patch(':id')
  @Roles('SUPER_ADMIN')
  @ApiOkResponse({ type: UpdatedTemplateDto })
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
  remove(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<void> {
    return this.service.remove(user, id);
  }
}

@ApiTags('integration-templates')
@ApiBearerAuth()
@Controller('integration-handlers')
export class IntegrationHandlersController {
  constructor(private readonly service: IntegrationTemplatesService) {}

  @Get()
  @Roles('SUPER_ADMIN', 'ADMIN', 'MANAGER')
  @ApiOkResponse({ type: HandlerInfoDto, isArray: true })
  list(): HandlerInfoDto[] {
    return this.service.handlers();
  }
}
