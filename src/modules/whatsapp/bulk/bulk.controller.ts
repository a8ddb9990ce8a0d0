import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import type { AuthUser } from '../../../common/auth/auth-user';
import { CurrentUser, Roles } from '../../../common/auth/decorators';
import { ApiPaginatedResponse } from '../../../common/http/api-paginated-response';
import { Page } from '../../../common/http/pagination';
import { Idempotent } from '../../../common/idempotency/idempotent.decorator';
import { ApiBigIdParam, ParseBigIdPipe } from '../../../common/http/parse-id.pipe';
import { BulkService } from './bulk.service';
import {
  BulkDto,
  BulkRecipientDto,
  CreateBulkDto,
  CreatedBulkDto,
  ListBulkQueryDto,
  ListRecipientsQueryDto,
} from './dto/bulk.dto';
import { ApiErrors } from '../../../common/http/api-errors.decorator';

@ApiTags('whatsapp')
@ApiBearerAuth()
@ApiErrors(401, 403)
@Controller('whatsapp/bulk')
@Roles('SUPER_ADMIN', 'ADMIN', 'MANAGER')
export class BulkController {
  constructor(private readonly service: BulkService) {}

  /** 202: the ledger is written and its runners enqueued; skipped recipients counted by reason. */
  @Post()
  @HttpCode(202)
  @Idempotent()
  @ApiAcceptedResponse({ type: CreatedBulkDto })
  @ApiOperation({
    summary: 'Start a bulk WhatsApp send',
    description:
      'To 1–100,000 leads or a lead filter; recipients without a phone, opted out, duplicated or (for free text) outside the window are skipped and counted. Safe to retry with an Idempotency-Key.',
  })
  @ApiErrors(
    [400, 'VALIDATION_FAILED, or TEMPLATE_PARAMETERS_INVALID'],
    404,
    [
      409,
      'CONFLICT: the Idempotency-Key was used with another body, or its first request is still running; INTEGRATION_NOT_ACTIVE: the WhatsApp integration is not active; REAUTHORIZATION_REQUIRED: its OAuth token ran out',
    ],
    [422, 'TEMPLATE_NOT_APPROVED'],
  )
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateBulkDto): Promise<CreatedBulkDto> {
    return this.service.create(user, dto);
  }

  @Get()
  @ApiPaginatedResponse(BulkDto)
  @ApiOperation({ summary: 'List bulk sends', description: 'Pages of up to 200 (`pageSize`, default 50).' })
  @ApiErrors(400)
  list(@CurrentUser() user: AuthUser, @Query() query: ListBulkQueryDto): Promise<Page<BulkDto>> {
    return this.service.list(user, query);
  }

  @Get(':id')
  @ApiBigIdParam()
  @ApiOkResponse({ type: BulkDto })
  @ApiOperation({ summary: 'Get a bulk send', description: 'Its status, counts by recipient status, rate and ETA.' })
  @ApiErrors(400, 404)
  get(@CurrentUser() user: AuthUser, @Param('id', ParseBigIdPipe) id: bigint): Promise<BulkDto> {
    return this.service.get(user, id);
  }

  @Get(':id/recipients')
  @ApiBigIdParam()
  @ApiPaginatedResponse(BulkRecipientDto)
  @ApiOperation({
    summary: 'List the recipients of a bulk send',
    description: 'Pages of up to 200 (`pageSize`, default 50).',
  })
  @ApiErrors(400, 404)
  recipients(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseBigIdPipe) id: bigint,
    @Query() query: ListRecipientsQueryDto,
  ): Promise<Page<BulkRecipientDto>> {
    return this.service.recipients(user, id, query);
  }

  @Post(':id/pause')
  @HttpCode(200)
  @ApiBigIdParam()
  @ApiOkResponse({ type: BulkDto })
  @ApiOperation({ summary: 'Pause a bulk send', description: 'Idempotent: a paused bulk send answers 200 as it is.' })
  @ApiErrors(400, 404, [
    409,
    'CONFLICT: the bulk send has finished (completed, cancelled or failed; its state in the message)',
  ])
  pause(@CurrentUser() user: AuthUser, @Param('id', ParseBigIdPipe) id: bigint): Promise<BulkDto> {
    return this.service.pause(user, id);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @ApiBigIdParam()
  @ApiOkResponse({ type: BulkDto })
  @ApiOperation({
    summary: 'Resume a paused bulk send',
    description: 'Idempotent: a queued or running bulk send answers 200 as it is.',
  })
  @ApiErrors(400, 404, [409, 'CONFLICT: the bulk send has finished (completed, cancelled or failed)'])
  resume(@CurrentUser() user: AuthUser, @Param('id', ParseBigIdPipe) id: bigint): Promise<BulkDto> {
    return this.service.resume(user, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiBigIdParam()
  @ApiOkResponse({ type: BulkDto })
  @ApiOperation({
    summary: 'Cancel a bulk send',
    description: 'Its pending recipients become `skipped`. Idempotent: a cancelled bulk send answers 200 as it is.',
  })
  @ApiErrors(400, 404, [409, 'CONFLICT: the bulk send has finished (completed or failed)'])
  cancel(@CurrentUser() user: AuthUser, @Param('id', ParseBigIdPipe) id: bigint): Promise<BulkDto> {
    return this.service.cancel(user, id);
  }
}
