import { Injectable } from '@nestjs/common';
import { AuthUser } from '../../common/auth/auth-user';
import { scopeOf } from '../../common/auth/sub-account-scope';
import { DomainException } from '../../common/errors/domain.exception';
import { AuditService } from '../audit/audit.service';
import { CreateSubAccountDto, SubAccountDto, UpdateSubAccountDto } from './dto/sub-account.dto';
import { SubAccountRow, SubAccountsRepository } from './sub-accounts.repository';

export function toSubAccountDto(row: SubAccountRow): SubAccountDto {
  return {
    id: row.id,
    name: row.name,
    tier: row.tier,
    defaultRegion: row.defaultRegion,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

@Injectable()
export class SubAccountsService {
  constructor(
    private readonly repository: SubAccountsRepository,
    private readonly audit: AuditService,
  ) {}

  async list(user: AuthUser): Promise<SubAccountDto[]> {
    return (await this.repository.list(scopeOf(user))).map(toSubAccountDto);
  }

  async create(user: AuthUser, dto: CreateSubAccountDto): Promise<SubAccountDto> {
    const row = await this.repository.create(dto);
    const result = toSubAccountDto(row);
    await this.audit.record(user, {
      action: 'sub-account.create',
      entity: 'sub-account',
      entityId: row.id,
      subAccountId: row.id,
      after: result,
    });
    return result;
  }

  async update(user: AuthUser, id: number, dto: UpdateSubAccountDto): Promise<SubAccountDto> {
    const before = await this.repository.findById(id);
    if (!before) throw DomainException.notFound('Sub-account');
    const result = toSubAccountDto(await this.repository.update(id, dto));
    await this.audit.record(user, {
      action: 'sub-account.update',
      entity: 'sub-account',
      entityId: id,
      subAccountId: id,
      before: toSubAccountDto(before),
      after: result,
    });
    return result;
  }
}
