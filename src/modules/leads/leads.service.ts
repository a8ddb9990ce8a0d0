import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../../common/auth/auth-user';
import { listScope, scopeOf } from '../../common/auth/sub-account-scope';
import { DomainException } from '../../common/errors/domain.exception';
import { Page, skipTake, toPage } from '../../common/http/pagination';
import { LeadDetailDto, LeadDto, ListLeadsQueryDto } from './dto/lead.dto';
import { toLeadDetailDto, toLeadDto } from './lead.mapper';
import { createdRange, needsCalendar } from './created-range';
import { LeadRow, LeadsRepository } from './leads.repository';

/** The leads API: reads scoped to the caller's sub-accounts, answered as DTOs. */
@Injectable()
export class LeadsService {
  constructor(private readonly repository: LeadsRepository) {}

  async list(user: AuthUser, query: ListLeadsQueryDto): Promise<Page<LeadDto>> {
    const scope = listScope(user, query.subAccountId);
    // across several sub-accounts (no subAccountId) there is no one calendar: a bare date is a UTC day
    const zone =
      query.subAccountId !== undefined && needsCalendar(query.createdFrom, query.createdTo)
        ? ((await this.repository.timezoneOf(query.subAccountId)) ?? 'UTC')
        : 'UTC';
    const { createdFrom, createdTo } = createdRange(query.createdFrom, query.createdTo, zone);
    const { rows, total } = await this.repository.list(
      scope,
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
