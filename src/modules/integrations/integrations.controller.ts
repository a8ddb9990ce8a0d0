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
import { ApiErrors } from '../../common/http/api-errors.decorator';

@ApiTags('integrations')
@ApiBearerAuth()
@ApiErrors(401, 403)
@Controller('integrations')
@Roles('SUPER_ADMIN', 'ADMIN', 'MANAGER')
export class IntegrationsController {
  constructor(
    private readonly service: IntegrationsService,
    private readonly connections: IntegrationConnectionsService,
  ) {}

  @Get()
  @ApiPaginatedResponse(IntegrationDto)
  @ApiOperation({
    summary: 'List integrations',
    description: 'Filtered by `subAccountId`, `status` and `templateId`. Pages of up to 200 (`pageSize`, default 50).',
  })
  @ApiErrors(400)
  list(@CurrentUser() user: AuthUser, @Query() query: ListIntegrationsQueryDto): Promise<Page<IntegrationDto>> {
    return this.service.list(user, query);
  }

  @Get('limits')
  @ApiOkResponse({ type: LimitsDto })
  @ApiOperation({
    summary: 'Get the plan limits of a sub-account',
    description:
      "Per handler `{ current, limit }` for the sub-account's tier (STARTER 1, PRO 3, MAX unlimited); `limit: -1` is unlimited.",
  })
  @ApiErrors(400, 404)
  limits(@CurrentUser() user: AuthUser, @Query() query: LimitsQueryDto): Promise<LimitsDto> {
    return this.service.limits(user, query.subAccountId);
  }

  @Post('test-config')
  @HttpCode(200)
  @ConnectionTestRoute()
  @ApiOperation({
    summary: 'Test a configuration before saving it; nothing is stored',
    description:
      'The same answers as POST /api/integrations/{id}/test, for a configuration that is not saved yet. Every error body carries `success: false`.',
  })
  @ApiOkResponse({
    type: TestResultDto,
    description:
      'Failures answer 422 INVALID_CREDENTIALS or 502 CONNECTION_FAILED; 409 ROUTING_KEY_TAKEN when another sub-account owns the routing key; every error body carries success: false',
  })
  @ApiErrors(
    [
      400,
      "VALIDATION_FAILED, or CONFIG_SCHEMA_INVALID: config does not match the template's configSchema (the JSON pointer of each bad field in details)",
    ],
    404,
    [
      409,
      'ROUTING_KEY_TAKEN: the page / phone number / location / organisation is already connected in another sub-account',
    ],
    [
      422,
      'INVALID_CREDENTIALS: the provider refused the credentials, or they cannot see the routing resource (success: false)',
    ],
    [502, 'CONNECTION_FAILED: the provider could not be reached or answered with an error (success: false)'],
  )
  testConfig(@CurrentUser() user: AuthUser, @Body() dto: TestConfigDto): Promise<TestResultDto> {
    return this.connections.testConfig(user, dto);
  }

  @Get(':id')
  @ApiOkResponse({ type: IntegrationDto })
  @ApiOperation({
    summary: 'Get an integration',
    description: 'Secrets in `config` are masked as `{ "secret": true, "last4" }`.',
  })
  @ApiErrors(400, 404)
  get(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<IntegrationDto> {
    return this.service.get(user, id);
  }

  @Post()
  @Roles('SUPER_ADMIN', 'ADMIN')
  @ApiCreatedResponse({ type: CreatedIntegrationDto, description: 'The webhook secret is shown once, here' })
  @ApiOperation({
    summary: 'Create an integration',
    description:
      "Starts `pending` and inactive: it receives webhooks once a connection test has passed. `config` is validated against the template's configSchema. The answer carries `webhookSecret`, this once only.",
  })
  @ApiErrors(
    [
      400,
      "VALIDATION_FAILED, or CONFIG_SCHEMA_INVALID: config does not match the template's configSchema (the JSON pointer of each bad field in details)",
    ],
    [
      403,
      "FORBIDDEN (role or sub-account), or PLAN_LIMIT_REACHED: the sub-account's tier allows no more integrations of this handler",
    ],
    [404, 'NOT_FOUND: no such sub-account, or no such active template'],
    [
      409,
      'ROUTING_KEY_TAKEN: the page / phone number / location / organisation is already connected in another sub-account',
    ],
  )
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateIntegrationDto): Promise<CreatedIntegrationDto> {
    return this.service.create(user, dto);
  }

  @Patch(':id')
  @Roles('SUPER_ADMIN', 'ADMIN')
  @ApiOkResponse({ type: IntegrationDto })
  @ApiOperation({
    summary: 'Update an integration',
    description:
      '`config` is merged over the stored one (a secret left out keeps its value) and re-validated; a changed config sets `status` back to `pending` until tested again.',
  })
  @ApiErrors(
    [
      400,
      "VALIDATION_FAILED, or CONFIG_SCHEMA_INVALID: config does not match the template's configSchema (the JSON pointer of each bad field in details)",
    ],
    404,
    [
      409,
      'CONFLICT: `isActive: true` on an integration that never passed a connection test; or ROUTING_KEY_TAKEN: the page / phone number / location / organisation is already connected in another sub-account',
    ],
  )
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
  @ApiOperation({ summary: 'Delete an integration' })
  @ApiErrors(400, 404)
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
  @ApiOperation({
    summary: "Test an integration's connection",
    description:
      'Sets `status` to `active` or `error` (with `errorMessage`); the first passing test of a pending integration also sets `isActive: true`. Every error body carries `success: false`.',
  })
  @ApiErrors(
    400,
    404,
    [409, 'CONFLICT: the configuration changed, or the integration was disconnected, during the test'],
    [
      422,
      'INVALID_CREDENTIALS: the provider refused the credentials, or they cannot see the routing resource (success: false)',
    ],
    [502, 'CONNECTION_FAILED: the provider could not be reached or answered with an error (success: false)'],
  )
  test(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<TestResultDto> {
    return this.connections.test(user, id);
  }

  @Post(':id/disconnect')
  @Roles('SUPER_ADMIN', 'ADMIN')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Disconnect an integration',
    description:
      'Sets `status: "disconnected"` and `isActive: false` and erases the stored provider tokens; OAuth tokens are revoked at the provider where it offers revocation; webhook deliveries for the integration then answer 409 INTEGRATION_NOT_ACTIVE.',
  })
  @ApiOkResponse({ type: IntegrationDto })
  @ApiErrors(400, 404)
  disconnect(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<IntegrationDto> {
    return this.connections.disconnect(user, id);
  }

  @Post(':id/rotate-webhook-secret')
  @Roles('SUPER_ADMIN', 'ADMIN')
  @HttpCode(200)
  @ApiOkResponse({ type: WebhookSecretDto })
  @ApiOperation({
    summary: "Rotate the integration's webhook secret",
    description: 'The new secret is shown once, here; the old one keeps verifying for a grace period (default 24 h).',
  })
  @ApiErrors(400, 404)
  rotate(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<WebhookSecretDto> {
    return this.service.rotateWebhookSecret(user, id);
  }
}
