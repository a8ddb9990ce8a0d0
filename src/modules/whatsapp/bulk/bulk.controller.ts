import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
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

@ApiTags('whatsapp')
@ApiBearerAuth()
@Controller('whatsapp/bulk')
@Roles('SUPER_ADMIN', 'ADMIN', 'MANAGER')
export class BulkController {
  constructor(private readonly service: BulkService) {}

  /** 202: the ledger is written and its runners enqueued; skipped recipients counted by reason. */
  @Post()
  @HttpCode(202)
  @Idempotent()
  @ApiAcceptedResponse({ type: CreatedBulkDto })
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateBulkDto): Promise<CreatedBulkDto> {
    return this.service.create(user, dto);
  }

  @Get()
  @ApiPaginatedResponse(BulkDto)
  list(@CurrentUser() user: AuthUser, @Query() query: ListBulkQueryDto): Promise<Page<BulkDto>> {
    return this.service.list(user, query);
  }

  @Get(':id')
  @ApiBigIdParam()
  @ApiOkResponse({ type: BulkDto })
  get(@CurrentUser() user: AuthUser, @Param('id', ParseBigIdPipe) id: bigint): Promise<BulkDto> {
    return this.service.get(user, id);
  }

  @Get(':id/recipients')
  @ApiBigIdParam()
  @ApiPaginatedResponse(BulkRecipientDto)
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
  pause(@CurrentUser() user: AuthUser, @Param('id', ParseBigIdPipe) id: bigint): Promise<BulkDto> {
    return this.service.pause(user, id);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @ApiBigIdParam()
  @ApiOkResponse({ type: BulkDto })
  resume(@CurrentUser() user: AuthUser, @Param('id', ParseBigIdPipe) id: bigint): Promise<BulkDto> {
    return this.service.resume(user, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiBigIdParam()
  @ApiOkResponse({ type: BulkDto })
  cancel(@CurrentUser() user: AuthUser, @Param('id', ParseBigIdPipe) id: bigint): Promise<BulkDto> {
    return this.service.cancel(user, id);
  }
}
