import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Roles } from '../../common/auth/decorators';
import { ApiPaginatedResponse } from '../../common/http/api-paginated-response';
import { Page } from '../../common/http/pagination';
import { ParseIdPipe } from '../../common/http/parse-id.pipe';
import {
  CreatedIntegrationDto,
  CreateIntegrationDto,
  IntegrationDto,
  LimitsDto,
  LimitsQueryDto,
  ListIntegrationsQueryDto,
  TestConfigDto,
  TestResultDto,
  UpdateIntegrationDto,
  WebhookSecretDto,
} from './dto/integration.dto';
import { ConnectionTestRoute } from './connection-test-route.decorator';
import { IntegrationConnectionsService } from './integration-connections.service';
import { IntegrationsService } from './integrations.service';

@ApiTags('integrations')
@ApiBearerAuth()
@Controller('integrations')
@Roles('SUPER_ADMIN', 'ADMIN', 'MANAGER')
export class IntegrationsController {
  constructor(
    private readonly service: IntegrationsService,
    private readonly connections: IntegrationConnectionsService,
  ) {}

  @Get()
  @ApiPaginatedResponse(IntegrationDto)
  list(@CurrentUser() user: AuthUser, @Query() query: ListIntegrationsQueryDto): Promise<Page<IntegrationDto>> {
    return this.service.list(user, query);
  }

  @Get('limits')
  @ApiOkResponse({ type: LimitsDto })
  limits(@CurrentUser() user: AuthUser, @Query() query: LimitsQueryDto): Promise<LimitsDto> {
    return this.service.limits(user, query.subAccountId);
  }

  @Post('test-config')
  @HttpCode(200)
  @ConnectionTestRoute()
  @ApiOperation({ summary: 'Test a configuration before saving it; nothing is stored' })
  @ApiOkResponse({
    type: TestResultDto,
    description:
      'Failures answer 422 INVALID_CREDENTIALS or 502 CONNECTION_FAILED; 409 ROUTING_KEY_TAKEN when another sub-account owns the routing key; every error body carries success: false',
  })
  testConfig(@CurrentUser() user: AuthUser, @Body() dto: TestConfigDto): Promise<TestResultDto> {
    return this.connections.testConfig(user, dto);
  }

  @Get(':id')
  @ApiOkResponse({ type: IntegrationDto })
  get(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<IntegrationDto> {
    return this.service.get(user, id);
  }

  @Post()
  @Roles('SUPER_ADMIN', 'ADMIN')
  @ApiCreatedResponse({ type: CreatedIntegrationDto, description: 'The webhook secret is shown once, here' })
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
  @ApiNoContentResponse({ description: 'Deleted' })
  remove(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<void> {
    return this.service.remove(user, id);
  }

  @Post(':id/test')
  @HttpCode(200)
  @ConnectionTestRoute()
  @ApiOkResponse({
    type: TestResultDto,
    description:
      'Failures answer 422 INVALID_CREDENTIALS or 502 CONNECTION_FAILED; every error body carries success: false',
  })
  test(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<TestResultDto> {
    return this.connections.test(user, id);
  }

  @Post(':id/disconnect')
  @Roles('SUPER_ADMIN', 'ADMIN')
  @HttpCode(200)
  @ApiOperation({ summary: 'Disconnect: inactive, status "disconnected", provider tokens erased' })
  @ApiOkResponse({ type: IntegrationDto })
  disconnect(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<IntegrationDto> {
    return this.connections.disconnect(user, id);
  }

  @Post(':id/rotate-webhook-secret')
  @Roles('SUPER_ADMIN', 'ADMIN')
  @HttpCode(200)
  @ApiOkResponse({ type: WebhookSecretDto })
  rotate(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<WebhookSecretDto> {
    return this.service.rotateWebhookSecret(user, id);
  }
}
