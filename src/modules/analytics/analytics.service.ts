import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../../common/auth/auth-user';
import { assertCanActOn } from '../../common/auth/sub-account-scope';
import { DomainException } from '../../common/errors/domain.exception';
import { upsideDownRange } from '../../common/http/date-range';
import { JobsService } from '../../jobs/jobs.service';
import { AnalyticsFiguresService } from './analytics-figures.service';
import { AnalyticsRepository } from './analytics.repository';
import {
  AttributionQueryDto,
  AttributionRowDto,
  FunnelDto,
  FunnelQueryDto,
  OverviewDto,
  OverviewQueryDto,
  RebuildAcceptedDto,
  RebuildDto,
  SnapshotDto,
  SnapshotsQueryDto,
  TeamMemberDto,
  AnalyticsRangeQueryDto,
  TimeseriesDto,
  TimeseriesQueryDto,
} from './dto/analytics.dto';
import { compareCivilDates, formatCivilDate } from './time/civil-date';
import { localDateOfBound } from './time/date-range';

/** The analytics API: who may ask about which sub-account, then AnalyticsFiguresService. */
@Injectable()
export class AnalyticsService {
  constructor(
    private readonly figures: AnalyticsFiguresService,
    private readonly repository: AnalyticsRepository,
    private readonly jobs: JobsService,
  ) {}

  overview(user: AuthUser, q: OverviewQueryDto): Promise<OverviewDto> {
    assertCanActOn(user, q.subAccountId);
    return this.figures.overview(q.subAccountId, q);
  }

  timeseries(user: AuthUser, q: TimeseriesQueryDto): Promise<TimeseriesDto> {
    assertCanActOn(user, q.subAccountId);
    return this.figures.timeseries(q.subAccountId, q);
  }

  funnel(user: AuthUser, q: FunnelQueryDto): Promise<FunnelDto> {
    assertCanActOn(user, q.subAccountId);
    return this.figures.funnel(q.subAccountId, {
      ...q,
      stages: q.stages === undefined ? undefined : q.stages.split(',').map((s) => s.trim()),
    });
  }

  team(user: AuthUser, q: AnalyticsRangeQueryDto): Promise<TeamMemberDto[]> {
    assertCanActOn(user, q.subAccountId);
    return this.figures.team(q.subAccountId, q);
  }

  attribution(user: AuthUser, q: AttributionQueryDto): Promise<AttributionRowDto[]> {
    assertCanActOn(user, q.subAccountId);
    return this.figures.attribution(q.subAccountId, q);
  }

  snapshots(user: AuthUser, q: SnapshotsQueryDto): Promise<SnapshotDto[]> {
    assertCanActOn(user, q.subAccountId);
    return this.figures.snapshots(q.subAccountId, q);
  }

  /**
   * Queues an idempotent rebuild of the sub-account's rollup (local days from..to, default all).
   * `from`/`to` are read as every analytics route reads them: a local date, or an ISO instant that
   * names its local date in the sub-account's zone.
   */
  async rebuild(user: AuthUser, dto: RebuildDto): Promise<RebuildAcceptedDto> {
    assertCanActOn(user, dto.subAccountId);
    const settings = await this.repository.settings(dto.subAccountId);
    if (!settings) throw DomainException.notFound('Sub-account');
    const from = dto.from === undefined ? null : localDateOfBound(dto.from, 'from', settings.timezone);
    const to = dto.to === undefined ? null : localDateOfBound(dto.to, 'to', settings.timezone);
    if (from && to && compareCivilDates(from, to) > 0) throw upsideDownRange('from', 'to');
    const jobId = await this.jobs.send('analytics-rebuild', {
      subAccountId: dto.subAccountId,
      from: from && formatCivilDate(from),
      to: to && formatCivilDate(to),
    });
    return { jobId };
  }
}
