import { Controller, Get, Param, Query, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags, ApiOperation } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Roles, SignedOrBearer } from '../../common/auth/decorators';
import { ApiPaginatedResponse } from '../../common/http/api-paginated-response';
import { Page } from '../../common/http/pagination';
import { ApiBigIdParam, ParseBigIdPipe } from '../../common/http/parse-id.pipe';
import { ListReportsQueryDto, ReportDto, SignedDownloadQueryDto } from './dto/report.dto';
import { ReportsService } from './reports.service';
import { ApiErrors } from '../../common/http/api-errors.decorator';

@ApiTags('reports')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('reports')
export class ReportsController {
  constructor(private readonly service: ReportsService) {}

  @Get()
  @Roles('SUPER_ADMIN', 'ADMIN', 'MANAGER')
  @ApiPaginatedResponse(ReportDto)
  @ApiOperation({ summary: 'List generated reports', description: 'Pages of up to 200 (`pageSize`, default 50).' })
  @ApiErrors(400, 403)
  list(@CurrentUser() user: AuthUser, @Query() query: ListReportsQueryDto): Promise<Page<ReportDto>> {
    return this.service.list(user, query);
  }

  /** With a bearer token (ADMIN, MANAGER), or by the signed `downloadUrl` alone (`expires` + `signature`). */
  @Get(':id/download')
  @SignedOrBearer()
  @ApiBigIdParam()
  @ApiProduces('application/pdf', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
  @ApiOkResponse({
    description: 'The file, with Content-Disposition: attachment',
    content: {
      'application/pdf': { schema: { type: 'string', format: 'binary' } },
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': {
        schema: { type: 'string', format: 'binary' },
      },
    },
  })
  @ApiOperation({
    summary: 'Download a report file',
    description:
      'With a bearer token (ADMIN, MANAGER), or by the signed `downloadUrl` alone (`expires` + `signature`, valid up to 7 days).',
  })
  @ApiErrors(400, [401, 'UNAUTHENTICATED: neither a valid bearer token nor a valid, unexpired signature'], 403, 404, [
    409,
    'CONFLICT: the report is not ready yet',
  ])
  async download(
    @Req() request: FastifyRequest & { user?: AuthUser },
    @Param('id', ParseBigIdPipe) id: bigint,
    @Query() query: SignedDownloadQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StreamableFile> {
    const file = await this.service.download(request.user, id, query);
    void reply.header('Content-Type', file.contentType);
    void reply.header('Content-Length', String(file.bytes));
    void reply.header('Content-Disposition', contentDisposition(file.fileName));
    void reply.header('Cache-Control', 'private, no-store');
    return new StreamableFile(file.stream);
  }
}

/** RFC 6266 `attachment` with an ASCII fallback and the RFC 8187 UTF-8 form. */
function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}
