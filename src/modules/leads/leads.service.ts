import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../../common/auth/auth-user';
import { listScope, scopeOf } from '../../common/auth/sub-account-scope';
import { DomainException } from '../../common/errors/domain.exception';
import { Page, skipTake, toPage } from '../../common/http/pagination';
import { LeadDetailDto, LeadDto, ListLeadsQueryDto } from './dto/lead.dto';
import { toLeadDetailDto, toLeadDto } from './lead.mapper';
import { LeadRow, LeadsRepository } from './leads.repository';
import { assertRangeInOrder, createdToBound } from '../../common/http/date-range';

/** The leads API: reads scoped to the caller's sub-accounts, answered as DTOs. */
@Injectable()
export class LeadsService {
  constructor(private readonly repository: LeadsRepository) {}

  async list(user: AuthUser, query: ListLeadsQueryDto): Promise<Page<LeadDto>> {
    const createdFrom = query.createdFrom ? new Date(query.createdFrom) : undefined;
    const createdTo = query.createdTo ? createdToBound(query.createdTo) : undefined;
    assertRangeInOrder(createdFrom, createdTo, 'createdFrom', 'createdTo');
    const { rows, total } = await this.repository.list(
      listScope(user, query.subAccountId),
      {
        platform: query.source,
        status: query.status,
        q: query.q,
        createdFrom,
        createdTo,
        minScore: query.minScore,
      },
      skipTake(query),
      query.sort,
    );
    return toPage(rows.map(toLeadDto), total, query);
  }

  async get(user: AuthUser, id: bigint): Promise<LeadDetailDto> {
    const row = await this.repository.findDetail(scopeOf(user), id);
    if (!row) throw DomainException.notFound('Lead');
    return toLeadDetailDto(row);
  }

  /** A lead of one sub-account (for pushing it to a CRM), or 404. */
  async require(subAccountId: number, id: bigint): Promise<LeadRow> {
    const row = await this.repository.find([subAccountId], id);
    if (!row) throw DomainException.notFound('Lead');
    return row;
  }
}
