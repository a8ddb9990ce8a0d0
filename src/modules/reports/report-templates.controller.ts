import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiTags,
  ApiOperation,
  ApiNoContentResponse,
} from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Roles } from '../../common/auth/decorators';
import { ApiPaginatedResponse } from '../../common/http/api-paginated-response';
import { Page } from '../../common/http/pagination';
import { ParseIdPipe } from '../../common/http/parse-id.pipe';
import {
  CreateReportTemplateDto,
  GenerateReportDto,
  GenerateReportResponseDto,
  ListReportTemplatesQueryDto,
  ReportTemplateDto,
  UpdateReportTemplateDto,
} from './dto/report.dto';
import { ReportsService } from './reports.service';
import { ReportTemplatesService } from './templates/report-templates.service';
import { ApiErrors } from '../../common/http/api-errors.decorator';

@ApiTags('reports')
@ApiBearerAuth()
@ApiErrors(401, 403)
@Controller('report-templates')
@Roles('SUPER_ADMIN', 'ADMIN', 'MANAGER')
export class ReportTemplatesController {
  constructor(
    private readonly templates: ReportTemplatesService,
    private readonly reports: ReportsService,
  ) {}

  @Get()
  @ApiPaginatedResponse(ReportTemplateDto)
  @ApiOperation({ summary: 'List report templates', description: 'Pages of up to 200 (`pageSize`, default 50).' })
  @ApiErrors(400)
  list(@CurrentUser() user: AuthUser, @Query() query: ListReportTemplatesQueryDto): Promise<Page<ReportTemplateDto>> {
    return this.templates.list(user, query);
  }

  @Post()
  @ApiCreatedResponse({ type: ReportTemplateDto })
  @ApiOperation({
    summary: 'Create a report template',
    description: '`config` is validated with a JSON Schema; `schedule` mails the report once per period.',
  })
  @ApiErrors(
    [400, 'VALIDATION_FAILED, or CONFIG_SCHEMA_INVALID: config does not match the report config schema'],
    [404, 'NOT_FOUND: no such sub-account'],
  )
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateReportTemplateDto): Promise<ReportTemplateDto> {
    return this.templates.create(user, dto);
  }

  @Get(':id')
  @ApiOkResponse({ type: ReportTemplateDto })
  @ApiOperation({ summary: 'Get a report template' })
  @ApiErrors(400, 404)
  get(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<ReportTemplateDto> {
    return this.templates.get(user, id);
  }

  @Patch(':id')
  @ApiOkResponse({ type: ReportTemplateDto })
  @ApiOperation({ summary: 'Update a report template' })
  @ApiErrors([400, 'VALIDATION_FAILED, or CONFIG_SCHEMA_INVALID: config does not match the report config schema'], 404)
  update(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe) id: number,
    @Body() dto: UpdateReportTemplateDto,
  ): Promise<ReportTemplateDto> {
    return this.templates.update(user, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiOperation({ summary: 'Delete a report template' })
  @ApiErrors(400, 404)
  remove(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<void> {
    return this.templates.remove(user, id);
  }

  @Post(':id/generate')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: GenerateReportResponseDto })
  @ApiOperation({
    summary: 'Generate a report from a template',
    description: 'Queues the generation; the report appears in GET /api/reports.',
  })
  @ApiErrors(400, 404, [
    429,
    'RATE_LIMIT_EXCEEDED: too many reports of this sub-account queued or running; retry after Retry-After seconds',
  ])
  generate(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe) id: number,
    @Body() dto: GenerateReportDto,
  ): Promise<GenerateReportResponseDto> {
    return this.reports.generate(user, id, dto);
  }
}
