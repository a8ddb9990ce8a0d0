import { Injectable } from '@nestjs/common';
import { AuthUser } from '../../common/auth/auth-user';
import { assertVisible, scopeOf } from '../../common/auth/sub-account-scope';
import { TransactionRunner } from '../../database/transaction-runner';
import { AnalyticsMaintenanceRepository } from '../analytics/analytics-maintenance.repository';
import { parseFunnelStages } from '../analytics/compute/funnel';
import { assertTimeZone, notATimeZone } from '../analytics/time/time-zone';
import { DomainException } from '../../common/errors/domain.exception';
import { AuditService } from '../audit/audit.service';
import { CreateSubAccountDto, FUNNEL_STATUSES, SubAccountDto, UpdateSubAccountDto } from './dto/sub-account.dto';
import { assertScoreWeights } from './score-weights';
import { SubAccountRow, SubAccountsRepository } from './sub-accounts.repository';

export function toSubAccountDto(row: SubAccountRow): SubAccountDto {
  return {
    id: row.id,
    name: row.name,
    tier: row.tier,
    defaultRegion: row.defaultRegion,
    timezone: row.timezone,
    funnelStages: row.funnelStages,
    scoreWeights: row.scoreWeights ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

@Injectable()
export class SubAccountsService {
  constructor(
    private readonly repository: SubAccountsRepository,
    private readonly audit: AuditService,
    private readonly analytics: AnalyticsMaintenanceRepository,
    private readonly transactions: TransactionRunner,
  ) {}

  async get(user: AuthUser, id: number): Promise<SubAccountDto> {
    const row = await this.repository.findById(id);
    return toSubAccountDto(assertVisible(user, row && { ...row, subAccountId: row.id }, 'Sub-account'));
  }

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

  /**
   * Super-admins change anything; an ADMIN changes the settings of its own sub-accounts (name,
   * region, timezone, funnelStages, scoreWeights) but not the tier. A new time zone rebuilds the
   * sub-account's analytics in the same transaction, so no answer mixes two calendars.
   */
  async update(user: AuthUser, id: number, dto: UpdateSubAccountDto): Promise<SubAccountDto> {
    const found = await this.repository.findById(id);
    const before = found ? assertVisible(user, { ...found, subAccountId: found.id }, 'Sub-account') : null;
    if (!before) throw DomainException.notFound('Sub-account');
    if (user.role !== 'SUPER_ADMIN' && dto.tier !== undefined && dto.tier !== before.tier)
      throw DomainException.forbidden('Only a super-admin changes the tier');
    const timezone = dto.timezone === undefined ? undefined : assertTimeZone(dto.timezone);
    // a zone Node reads and PostgreSQL does not failed every later lead of the sub-account (500): the
    // rollup written with each fact turns its instant into a local day in SQL
    if (timezone !== undefined && !(await this.repository.databaseKnowsTimeZone(timezone)))
      throw notATimeZone(timezone);
    const data = {
      ...dto,
      ...(timezone !== undefined ? { timezone } : {}),
      ...(dto.funnelStages !== undefined
        ? { funnelStages: parseFunnelStages(dto.funnelStages, FUNNEL_STATUSES, 'funnelStages') }
        : {}),
      ...(dto.scoreWeights !== undefined && dto.scoreWeights !== null
        ? { scoreWeights: assertScoreWeights(dto.scoreWeights) }
        : {}),
    };
    const row = await this.transactions.run(async () => {
      const updated = await this.repository.update(id, data);
      if (updated.timezone !== before.timezone) await this.analytics.rebuild(id, null, null);
      return updated;
    });
    const result = toSubAccountDto(row);
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
