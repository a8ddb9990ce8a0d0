import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { AuthUser, ROLES, Role } from '../../common/auth/auth-user';
import { CurrentUser } from '../../common/auth/decorators';

class MeDto {
  @ApiProperty() sub!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty({ type: [Number] }) subAccountIds!: number[];
}

@ApiTags('auth')
@ApiBearerAuth()
@Controller('me')
export class MeController {
  @Get()
  @ApiOkResponse({ type: MeDto })
  me(@CurrentUser() user: AuthUser): MeDto {
    return { sub: user.sub, role: user.role, subAccountIds: [...user.subAccountIds] };
  }
}
