import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

export class StartOAuthDto {
  @ApiProperty({
    description: 'Where the CRM wants the admin sent back after the provider; must be on OAUTH_REDIRECT_ALLOWLIST',
    example: 'https://crm.example.com/integrations/oauth-done',
  })
  @IsString()
  @MaxLength(2000)
  redirectUri!: string;
}

export class AuthorizationUrlDto {
  @ApiProperty({ description: "The provider's consent page, with a signed single-use state (10 minutes)" })
  authorizationUrl!: string;
}
