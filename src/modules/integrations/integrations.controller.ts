import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Roles } from '../../common/auth/decorators';
import { Page } from '../../common/http/pagination';
import { ParseIdPipe } from '../../common/http/parse-id.pipe';
import {
  CreatedIntegrationDto,
  CreateIntegrationDto,
  IntegrationDto,
  LimitsDto,
  LimitsQueryDto,
  ListIntegrationsQueryDto,
  TestResultDto,
  UpdateIntegrationDto,
  WebhookSecretDto,
} from './dto/integration.dto';
import { IntegrationsService } from './integrations.service';

@ApiTags('integrations')
@ApiBearerAuth()
@Controller('integrations')
@Roles('SUPER_ADMIN', 'ADMIN', 'MANAGER')
export class IntegrationsController {
  constructor(private readonly service: IntegrationsService) {}

  @Get()
  list(@CurrentUser() user: AuthUser, @Query() query: ListIntegrationsQueryDto): Promise<Page<IntegrationDto>> {
    return this.service.list(user, query);
  }

  @Get('limits')
  @ApiOkResponse({ type: LimitsDto })
  limits(@CurrentUser() user: AuthUser, @Query() query: LimitsQueryDto): Promise<LimitsDto> {
    return this.service.limits(user, query.subAccountId);
  }

  @Get(':id')
  @ApiOkResponse({ type: IntegrationDto })
  get(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<IntegrationDto> {
    return this.service.get(user, id);
  }

  @Post()
  @Roles('SUPER_ADMIN', 'ADMIN')
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateIntegrationDto): Promise<CreatedIntegrationDto> {
    return this.service.create(user, dto);
  }

  @Patch(':id')
  @Roles('SUPER_ADMIN', 'ADMIN')
  @ApiOkResponse({ type: IntegrationDto })
  update(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe) id: number,
    @Body() dto: UpdateIntegrationDto,
  ): Promise<IntegrationDto> {
    return this.service.update(user, id, dto);
  }

  @Delete(':id')
  @Roles('SUPER_ADMIN', 'ADMIN')
  @HttpCode(204)
  remove(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<void> {
    return this.service.remove(user, id);
  }

  @Post(':id/test')
  @HttpCode(200)
  @ApiOkResponse({
    type: TestResultDto,
    description: 'Failures answer 422 INVALID_CREDENTIALS or 502 CONNECTION_FAILED with success: false',
  })
  test(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<TestResultDto> {
    return this.service.test(user, id);
  }

  @Post(':id/rotate-webhook-secret')
  @Roles('SUPER_ADMIN', 'ADMIN')
  @HttpCode(200)
  @ApiOkResponse({ type: WebhookSecretDto })
  rotate(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<WebhookSecretDto> {
    return this.service.rotateWebhookSecret(user, id);
  }
}
