import { Body, Controller, Get, HttpCode, Param, Post, Query, Redirect } from '@nestjs/common';
import { ApiBearerAuth, ApiFoundResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Public, Roles } from '../../common/auth/decorators';
import { ParseIdPipe } from '../../common/http/parse-id.pipe';
import { AuthorizationUrlDto, StartOAuthDto } from './dto/oauth.dto';
import { OAuthConnectService } from './oauth-connect.service';
import { ApiErrors } from '../../common/http/api-errors.decorator';

@ApiTags('integrations')
@ApiBearerAuth()
@Controller('integrations')
export class OAuthStartController {
  constructor(private readonly service: OAuthConnectService) {}

  @Post(':id/oauth/start')
  @Roles('SUPER_ADMIN', 'ADMIN')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Start "Connect with …" (OAuth) for an integration',
    description:
      "Answers the provider's consent URL; its `state` is signed, single-use and expires in 10 minutes. `redirectUri` must be on OAUTH_REDIRECT_ALLOWLIST.",
  })
  @ApiOkResponse({
    type: AuthorizationUrlDto,
    description: '400 VALIDATION_FAILED for a redirectUri outside OAUTH_REDIRECT_ALLOWLIST or a handler without OAuth',
  })
  @ApiErrors(
    [400, 'VALIDATION_FAILED: a redirectUri outside OAUTH_REDIRECT_ALLOWLIST, or a handler without OAuth'],
    401,
    403,
    404,
  )
  start(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe) id: number,
    @Body() dto: StartOAuthDto,
  ): Promise<AuthorizationUrlDto> {
    return this.service.start(user, id, dto.redirectUri);
  }
}

@ApiTags('oauth')
@Controller('oauth')
export class OAuthCallbackController {
  constructor(private readonly service: OAuthConnectService) {}

  @Get('callback/:provider')
  @Public()
  @Redirect()
  @ApiOperation({
    summary: 'Complete an OAuth connection (where the provider sends the admin back)',
    description:
      'Exchanges the code, stores the tokens encrypted in the integration, runs the connection test, and redirects to the redirectUri.',
  })
  @ApiQuery({ name: 'code', required: false })
  @ApiQuery({ name: 'state', required: true })
  @ApiQuery({ name: 'error', required: false })
  @ApiFoundResponse({
    description:
      'Redirect to the redirectUri with ?integrationId=&status=active|error&code=; 400 VALIDATION_FAILED for a forged, replayed or expired state',
  })
  @ApiErrors(
    [400, 'VALIDATION_FAILED: a forged, replayed or expired state'],
    [404, 'NOT_FOUND: no such OAuth provider'],
  )
  async callback(
    @Param('provider') provider: string,
    @Query('code') code?: string,
    @Query('state') state?: string,
    @Query('error') error?: string,
  ): Promise<{ url: string; statusCode: number }> {
    return { url: await this.service.callback(provider, { code, state, error }), statusCode: 302 };
  }
}
