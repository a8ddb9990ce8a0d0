import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
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

@ApiTags('reports')
@ApiBearerAuth()
@Controller('report-templates')
@Roles('SUPER_ADMIN', 'ADMIN', 'MANAGER')
export class ReportTemplatesController {
  constructor(
    private readonly templates: ReportTemplatesService,
    private readonly reports: ReportsService,
  ) {}

  @Get()
  @ApiPaginatedResponse(ReportTemplateDto)
  list(@CurrentUser() user: AuthUser, @Query() query: ListReportTemplatesQueryDto): Promise<Page<ReportTemplateDto>> {
    return this.templates.list(user, query);
  }

  @Post()
  @ApiCreatedResponse({ type: ReportTemplateDto })
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateReportTemplateDto): Promise<ReportTemplateDto> {
    return this.templates.create(user, dto);
  }

  @Get(':id')
  @ApiOkResponse({ type: ReportTemplateDto })
  get(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<ReportTemplateDto> {
    return this.templates.get(user, id);
  }

  @Patch(':id')
  @ApiOkResponse({ type: ReportTemplateDto })
  update(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe) id: number,
    @Body() dto: UpdateReportTemplateDto,
  ): Promise<ReportTemplateDto> {
    return this.templates.update(user, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number): Promise<void> {
    return this.templates.remove(user, id);
  }

  @Post(':id/generate')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: GenerateReportResponseDto })
  generate(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe) id: number,
    @Body() dto: GenerateReportDto,
  ): Promise<GenerateReportResponseDto> {
    return this.reports.generate(user, id, dto);
  }
}
