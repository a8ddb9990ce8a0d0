import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
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
import { GoHighLevelService } from './gohighlevel.service';

/** The CRM's booking screens and lead push, passed through to GoHighLevel with the integration's token. */
@ApiTags('gohighlevel')
@ApiBearerAuth()
@Controller('integrations/:id/ghl')
@Roles('SUPER_ADMIN', 'ADMIN', 'MANAGER')
export class GoHighLevelController {
  constructor(private readonly service: GoHighLevelService) {}

  @Get('calendars')
  @ApiOkResponse({ type: GhlCalendarDto, isArray: true })
  calendars(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<GhlCalendarDto[]> {
    return this.service.calendars(user, id);
  }

  @Get('calendars/:calendarId/free-slots')
  @ApiOkResponse({ type: GhlDaySlotsDto, isArray: true, description: 'One entry per day with free slots, by date' })
  freeSlots(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe) id: number,
    @Param('calendarId') calendarId: string,
    @Query() query: FreeSlotsQueryDto,
  ): Promise<GhlDaySlotsDto[]> {
    return this.service.freeSlots(user, id, calendarId, query);
  }

  @Post('calendars/:calendarId/block-slots')
  @ApiCreatedResponse({ type: GhlBlockedSlotDto })
  blockSlot(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe) id: number,
    @Param('calendarId') calendarId: string,
    @Body() dto: BlockSlotDto,
  ): Promise<GhlBlockedSlotDto> {
    return this.service.blockSlot(user, id, calendarId, dto);
  }

  @Post('contacts')
  @ApiCreatedResponse({ type: PushedContactDto })
  pushContact(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe) id: number,
    @Body() dto: PushContactDto,
  ): Promise<PushedContactDto> {
    return this.service.pushContact(user, id, dto);
  }
}
