import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, MaxLength, Min } from 'class-validator';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Roles } from '../../common/auth/decorators';
import { listScope } from '../../common/auth/sub-account-scope';
import { Page, PageQueryDto, skipTake, toPage } from '../../common/http/pagination';
import { AuditRepository } from './audit.repository';

class AuditQueryDto extends PageQueryDto {
  @ApiPropertyOptional() @IsOptional() @Type(() => Number) @IsInt() @Min(1) subAccountId?: number;
  @ApiPropertyOptional({ example: 'integration' }) @IsOptional() @IsString() @MaxLength(100) entity?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) entityId?: string;
}

export interface AuditEntryDto {
  id: string;
  actorSub: string;
  actorRole: string;
  action: string;
  entity: string;
  entityId: string;
  subAccountId: number | null;
  changes: unknown;
  createdAt: string;
}

@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit-log')
export class AuditController {
  constructor(private readonly repository: AuditRepository) {}

  /** ADMIN: entries of their sub-accounts; SUPER_ADMIN: all (including template changes). */
  @Get()
  @Roles('SUPER_ADMIN', 'ADMIN')
  async list(@CurrentUser() user: AuthUser, @Query() query: AuditQueryDto): Promise<Page<AuditEntryDto>> {
    const { skip, take } = skipTake(query);
    const { rows, total } = await this.repository.list(
      { scope: listScope(user, query.subAccountId), entity: query.entity, entityId: query.entityId },
      skip,
      take,
    );
    return toPage(
      rows.map((r) => ({
        id: r.id.toString(),
        actorSub: r.actorSub,
        actorRole: r.actorRole,
        action: r.action,
        entity: r.entity,
        entityId: r.entityId,
        subAccountId: r.subAccountId,
        changes: r.changes,
        createdAt: r.createdAt.toISOString(),
      })),
      total,
      query,
    );
  }
}
