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
import { ApiErrors } from '../../common/http/api-errors.decorator';

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
  @ApiErrors(
    400,
    404,
    [422, 'INVALID_CREDENTIALS: GoHighLevel refused the token'],
    [502, 'CONNECTION_FAILED: GoHighLevel is unavailable'],
  )
  calendars(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<GhlCalendarDto[]> {
    return this.service.calendars(user, id);
  }

  @Get('calendars/:calendarId/free-slots')
  @ApiOkResponse({ type: GhlDaySlotsDto, isArray: true, description: 'One entry per day with free slots, by date' })
  @ApiOperation({
    summary: 'List free slots of a GoHighLevel calendar',
    description: 'Between `startDate` and `endDate`, in `timezone`.',
  })
  @ApiErrors(
    400,
    404,
    [422, 'INVALID_CREDENTIALS: GoHighLevel refused the token'],
    [502, 'CONNECTION_FAILED: GoHighLevel is unavailable'],
  )
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
  @ApiErrors(
    400,
    404,
    [422, 'INVALID_CREDENTIALS: GoHighLevel refused the token'],
    [502, 'CONNECTION_FAILED: GoHighLevel is unavailable'],
  )
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
  @ApiErrors(
    400,
    404,
    [422, 'INVALID_CREDENTIALS: GoHighLevel refused the token'],
    [502, 'CONNECTION_FAILED: GoHighLevel is unavailable'],
  )
  pushContact(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe) id: number,
    @Body() dto: PushContactDto,
  ): Promise<PushedContactDto> {
    return this.service.pushContact(user, id, dto);
  }
}
