import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProperty, ApiTags, ApiOperation } from '@nestjs/swagger';
import { AuthUser, ROLES, Role } from '../../common/auth/auth-user';
import { CurrentUser } from '../../common/auth/decorators';
import { ApiErrors } from '../../common/http/api-errors.decorator';

class MeDto {
  @ApiProperty() sub!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty({ type: [Number] }) subAccountIds!: number[];
}

@ApiTags('auth')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('me')
export class MeController {
  @Get()
  @ApiOkResponse({ type: MeDto })
  @ApiOperation({
    summary: "Get the caller's identity",
    description: "The bearer token's subject, role and sub-accounts.",
  })
  me(@CurrentUser() user: AuthUser): MeDto {
    return { sub: user.sub, role: user.role, subAccountIds: [...user.subAccountIds] };
  }
}
