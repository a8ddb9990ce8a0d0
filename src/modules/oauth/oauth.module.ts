import { Module } from '@nestjs/common';
import { IntegrationsModule } from '../integrations/integrations.module';
import { OAuthCallbackController, OAuthStartController } from './oauth.controller';
import { OAuthConnectService } from './oauth-connect.service';
import { OAuthStatesRepository } from './oauth-states.repository';

/** API.md "OAuth connections": the connect flow. Refreshing lives with the integrations (OAuthTokensService). */
@Module({
  imports: [IntegrationsModule],
  controllers: [OAuthStartController, OAuthCallbackController],
  providers: [OAuthConnectService, OAuthStatesRepository],
})
export class OAuthModule {}
