import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Roles } from '../../common/auth/decorators';
import { ParseIdPipe } from '../../common/http/parse-id.pipe';
import {
  BlockSlotDto,
  FreeSlotsQueryDto,
  GhlBlockedSlotDto,
  GhlCalendarDto,
  GhlDaySlotsDto,
  PushContactDto,
  PushedContactDto,
} from './dto/gohighlevel.dto';
import { ParseCalendarIdPipe } from './calendar-id.pipe';
import { GoHighLevelService } from './gohighlevel.service';
import { ApiErrors, ErrorAnswer } from '../../common/http/api-errors.decorator';

/** The errors of every passthrough route: GoHighLevel's own answers in the API's codes (GoHighLevelService.mapped). */
const GHL_ANSWERS: ErrorAnswer[] = [
  400,
  [
    404,
    'NOT_FOUND: no such integration (or one in a sub-account the caller may not act on), or GoHighLevel has no such calendar or contact',
  ],
  [422, 'INVALID_CREDENTIALS: GoHighLevel refused the token'],
  [429, "RATE_LIMIT_EXCEEDED: GoHighLevel's rate limit; retry after Retry-After seconds when given"],
  [502, 'CONNECTION_FAILED: GoHighLevel is unavailable'],
];

/** The CRM's booking screens and lead push, passed through to GoHighLevel with the integration's token. */
@ApiTags('gohighlevel')
@ApiBearerAuth()
@ApiErrors(401, 403)
@Controller('integrations/:id/ghl')
@Roles('SUPER_ADMIN', 'ADMIN', 'MANAGER')
export class GoHighLevelController {
  constructor(private readonly service: GoHighLevelService) {}

  @Get('calendars')
  @ApiOkResponse({ type: GhlCalendarDto, isArray: true })
  @ApiOperation({
    summary: 'List the GoHighLevel calendars',
    description: "Of the integration's location, with its token.",
  })
  @ApiErrors(...GHL_ANSWERS)
  calendars(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<GhlCalendarDto[]> {
    return this.service.calendars(user, id);
  }

  @Get('calendars/:calendarId/free-slots')
  @ApiOkResponse({ type: GhlDaySlotsDto, isArray: true, description: 'One entry per day with free slots, by date' })
  @ApiOperation({
    summary: 'List free slots of a GoHighLevel calendar',
    description:
      'Between `startDate` and `endDate`, in `timezone`: a date or a date-time without an offset is a wall-clock time there (UTC without `timezone`); epoch milliseconds and date-times with an offset are instants.',
  })
  @ApiErrors(...GHL_ANSWERS)
  freeSlots(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe) id: number,
    @Param('calendarId', ParseCalendarIdPipe) calendarId: string,
    @Query() query: FreeSlotsQueryDto,
  ): Promise<GhlDaySlotsDto[]> {
    return this.service.freeSlots(user, id, calendarId, query);
  }

  @Post('calendars/:calendarId/block-slots')
  @ApiCreatedResponse({ type: GhlBlockedSlotDto })
  @ApiOperation({ summary: 'Block a slot in a GoHighLevel calendar' })
  @ApiErrors(...GHL_ANSWERS)
  blockSlot(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe) id: number,
    @Param('calendarId', ParseCalendarIdPipe) calendarId: string,
    @Body() dto: BlockSlotDto,
  ): Promise<GhlBlockedSlotDto> {
    return this.service.blockSlot(user, id, calendarId, dto);
  }

  @Post('contacts')
  @ApiCreatedResponse({ type: PushedContactDto })
  @ApiOperation({
    summary: 'Push a lead to GoHighLevel as a contact',
    description: "Upserts the lead as a contact of the integration's location.",
  })
  @ApiErrors(...GHL_ANSWERS)
  pushContact(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe) id: number,
    @Body() dto: PushContactDto,
  ): Promise<PushedContactDto> {
    return this.service.pushContact(user, id, dto);
  }
}
