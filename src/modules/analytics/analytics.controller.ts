import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
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

@ApiTags('analytics')
@ApiBearerAuth()
@Roles('SUPER_ADMIN', 'ADMIN', 'MANAGER')
@Controller('analytics')
export class AnalyticsController {
  constructor(private readonly service: AnalyticsService) {}

  @Get('overview')
  @ApiOkResponse({ type: OverviewDto })
  overview(@CurrentUser() user: AuthUser, @Query() query: OverviewQueryDto): Promise<OverviewDto> {
    return this.service.overview(user, query);
  }

  @Get('timeseries')
  @ApiOkResponse({ type: TimeseriesDto })
  timeseries(@CurrentUser() user: AuthUser, @Query() query: TimeseriesQueryDto): Promise<TimeseriesDto> {
    return this.service.timeseries(user, query);
  }

  @Get('funnel')
  @ApiOkResponse({ type: FunnelDto })
  funnel(@CurrentUser() user: AuthUser, @Query() query: FunnelQueryDto): Promise<FunnelDto> {
    return this.service.funnel(user, query);
  }

  @Get('team')
  @ApiOkResponse({ type: TeamMemberDto, isArray: true })
  team(@CurrentUser() user: AuthUser, @Query() query: AnalyticsRangeQueryDto): Promise<TeamMemberDto[]> {
    return this.service.team(user, query);
  }

  @Get('attribution')
  @ApiOkResponse({ type: AttributionRowDto, isArray: true })
  attribution(@CurrentUser() user: AuthUser, @Query() query: AttributionQueryDto): Promise<AttributionRowDto[]> {
    return this.service.attribution(user, query);
  }

  @Get('snapshots')
  @ApiOkResponse({ type: SnapshotDto, isArray: true })
  snapshots(@CurrentUser() user: AuthUser, @Query() query: SnapshotsQueryDto): Promise<SnapshotDto[]> {
    return this.service.snapshots(user, query);
  }

  @Post('rebuild')
  @Roles('SUPER_ADMIN', 'ADMIN')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: RebuildAcceptedDto })
  rebuild(@CurrentUser() user: AuthUser, @Body() dto: RebuildDto): Promise<RebuildAcceptedDto> {
    return this.service.rebuild(user, dto);
  }
}
