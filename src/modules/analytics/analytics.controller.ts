import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Roles } from '../../common/auth/decorators';
import { AnalyticsService } from './analytics.service';
import {
  AnalyticsRangeQueryDto,
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
  TimeseriesDto,
  TimeseriesQueryDto,
} from './dto/analytics.dto';
import { ApiErrors } from '../../common/http/api-errors.decorator';

@ApiTags('analytics')
@ApiBearerAuth()
@Roles('SUPER_ADMIN', 'ADMIN', 'MANAGER')
@ApiErrors(401, 403)
@Controller('analytics')
export class AnalyticsController {
  constructor(private readonly service: AnalyticsService) {}

  @Get('overview')
  @ApiOkResponse({ type: OverviewDto })
  @ApiOperation({
    summary: 'Get the analytics overview',
    description:
      "Totals, leads by source and by status over `from`–`to` (local dates of the sub-account's time zone), optionally compared with the previous period.",
  })
  @ApiErrors(400)
  overview(@CurrentUser() user: AuthUser, @Query() query: OverviewQueryDto): Promise<OverviewDto> {
    return this.service.overview(user, query);
  }

  @Get('timeseries')
  @ApiOkResponse({ type: TimeseriesDto })
  @ApiOperation({
    summary: 'Get an analytics time series',
    description:
      "One zero-filled series per group, bucketed by hour, day, week or month in the sub-account's time zone.",
  })
  @ApiErrors(400)
  timeseries(@CurrentUser() user: AuthUser, @Query() query: TimeseriesQueryDto): Promise<TimeseriesDto> {
    return this.service.timeseries(user, query);
  }

  @Get('funnel')
  @ApiOkResponse({ type: FunnelDto })
  @ApiOperation({
    summary: 'Get the lead funnel',
    description: 'A lead counts at every stage up to the furthest it reached, among leads created in the range.',
  })
  @ApiErrors(400)
  funnel(@CurrentUser() user: AuthUser, @Query() query: FunnelQueryDto): Promise<FunnelDto> {
    return this.service.funnel(user, query);
  }

  @Get('team')
  @ApiOkResponse({ type: TeamMemberDto, isArray: true })
  @ApiOperation({ summary: 'Get team performance' })
  @ApiErrors(400)
  team(@CurrentUser() user: AuthUser, @Query() query: AnalyticsRangeQueryDto): Promise<TeamMemberDto[]> {
    return this.service.team(user, query);
  }

  @Get('attribution')
  @ApiOkResponse({ type: AttributionRowDto, isArray: true })
  @ApiOperation({
    summary: 'Get conversions attributed to campaigns',
    description: 'By the attribution model `model`; conversions may be fractional.',
  })
  @ApiErrors(400)
  attribution(@CurrentUser() user: AuthUser, @Query() query: AttributionQueryDto): Promise<AttributionRowDto[]> {
    return this.service.attribution(user, query);
  }

  @Get('snapshots')
  @ApiOkResponse({ type: SnapshotDto, isArray: true })
  @ApiOperation({ summary: 'List stored analytics snapshots' })
  @ApiErrors(400)
  snapshots(@CurrentUser() user: AuthUser, @Query() query: SnapshotsQueryDto): Promise<SnapshotDto[]> {
    return this.service.snapshots(user, query);
  }

  @Post('rebuild')
  @Roles('SUPER_ADMIN', 'ADMIN')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: RebuildAcceptedDto })
  @ApiOperation({
    summary: 'Rebuild the stored analytics aggregates',
    description: 'An idempotent rebuild from the facts: the answers before and after are identical.',
  })
  @ApiErrors(400)
  rebuild(@CurrentUser() user: AuthUser, @Body() dto: RebuildDto): Promise<RebuildAcceptedDto> {
    return this.service.rebuild(user, dto);
  }
}
