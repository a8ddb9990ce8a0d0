import { Inject, Injectable, Optional } from '@nestjs/common';
import type { AuthUser } from '../../../common/auth/auth-user';
import { assertCanActOn, listScope, scopeOf } from '../../../common/auth/sub-account-scope';
import { Clock, CLOCK, systemClock } from '../../../common/clock';
import { DomainException } from '../../../common/errors/domain.exception';
import { Page, skipTake, toPage } from '../../../common/http/pagination';
import type { JsonObject } from '../../../common/json-value';
import { TransactionRunner } from '../../../database/transaction-runner';
import { REPORT_DATA_SOURCE, ReportDataSource } from '../data/report-data-source';
import {
  CreateReportTemplateDto,
  ListReportTemplatesQueryDto,
  ReportTemplateDto,
  UpdateReportTemplateDto,
} from '../dto/report.dto';
import { assertMailableRecipients, assertReportRange, parseReportConfig, parseScheduleInput } from './report-config';
import { ReportTemplateFields, ReportTemplateRow, ReportTemplatesRepository } from './report-templates.repository';

/** Report templates (API.md "Reports"): config checked by its JSON Schema, schedule in the sub-account's zone. */
@Injectable()
export class ReportTemplatesService {
  constructor(
    private readonly repository: ReportTemplatesRepository,
    @Inject(REPORT_DATA_SOURCE) private readonly data: ReportDataSource,
    private readonly transactions: TransactionRunner,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {}

  async list(user: AuthUser, query: ListReportTemplatesQueryDto): Promise<Page<ReportTemplateDto>> {
    const { rows, total } = await this.repository.list(listScope(user, query.subAccountId), skipTake(query));
    return toPage(rows.map(toTemplateDto), total, query);
  }

  async get(user: AuthUser, id: number): Promise<ReportTemplateDto> {
    return toTemplateDto(await this.require(user, id));
  }

  /** A template the caller may see, or 404. */
  async require(user: AuthUser, id: number): Promise<ReportTemplateRow> {
    const row = await this.repository.find(scopeOf(user), id);
    if (!row) throw DomainException.notFound('Report template');
    return row;
  }

  async create(user: AuthUser, dto: CreateReportTemplateDto): Promise<ReportTemplateDto> {
    assertCanActOn(user, dto.subAccountId);
    if (!(await this.repository.subAccountExists(dto.subAccountId))) throw DomainException.notFound('Sub-account');
    const fields = await this.fields(dto.subAccountId, dto, null, true);
    assertReportRange(parseReportConfig(dto.config), await this.data.timezoneOf(dto.subAccountId));
    return toTemplateDto(await this.repository.create(dto.subAccountId, user.sub, fields));
  }

  async update(user: AuthUser, id: number, dto: UpdateReportTemplateDto): Promise<ReportTemplateDto> {
    const found = await this.require(user, id);
    // the fields are computed from the row as it is now, locked: two tabs patching different fields
    // both keep their change, and a template deleted meanwhile answers 404
    return this.transactions.run(async () => {
      const before = await this.locked(found);
      const fields = await this.fields(
        before.subAccountId,
        {
          name: dto.name ?? before.name,
          description: dto.description !== undefined ? dto.description : before.description,
          type: dto.type ?? before.type,
          config: dto.config ?? before.config,
          format: dto.format ?? before.format,
          schedule: dto.schedule !== undefined ? dto.schedule : before.schedule,
          isActive: dto.isActive ?? before.isActive,
        },
        before,
        dto.schedule !== undefined,
      );
      // a config sent is checked whole; one stored before the limit is left as it is
      if (dto.config !== undefined)
        assertReportRange(parseReportConfig(dto.config), await this.data.timezoneOf(before.subAccountId));
      return toTemplateDto(await this.repository.update(id, fields));
    });
  }

  /** The template locked for the rest of the caller's transaction; 404 once it has been deleted. */
  async locked(template: ReportTemplateRow): Promise<ReportTemplateRow> {
    const row = await this.repository.lock(template.subAccountId, template.id);
    if (!row) throw DomainException.notFound('Report template');
    return row;
  }

  async remove(user: AuthUser, id: number): Promise<void> {
    if (!(await this.repository.remove(scopeOf(user), id))) throw DomainException.notFound('Report template');
  }

  private async fields(
    subAccountId: number,
    input: {
      name: string;
      description?: string | null;
      type: ReportTemplateFields['type'];
      config: unknown;
      format: ReportTemplateFields['format'];
      schedule?: unknown;
      isActive?: boolean;
    },
    before: ReportTemplateRow | null,
    /** The schedule was sent in this request: its recipients are checked whole (a stored one is left as it is). */
    scheduleSent: boolean,
  ): Promise<ReportTemplateFields> {
    const config = parseReportConfig(input.config);
    let schedule: JsonObject | null = null;
    let scheduleSince: Date | null = null;
    if (input.schedule !== undefined && input.schedule !== null) {
      const parsed = parseScheduleInput(input.schedule, await this.data.timezoneOf(subAccountId));
      if (scheduleSent) assertMailableRecipients(parsed.input);
      schedule = {
        frequency: parsed.rule.frequency,
        ...(parsed.input.dayOfWeek !== undefined ? { dayOfWeek: parsed.input.dayOfWeek } : {}),
        ...(parsed.input.dayOfMonth !== undefined ? { dayOfMonth: parsed.input.dayOfMonth } : {}),
        time: parsed.input.time,
        recipients: [...parsed.input.recipients],
      };
      // Periods due before a schedule existed (or before its frequency changed, or while the template
      // was switched off) are never mailed: switched back on, it would otherwise mail every period it
      // was off at once. A changed time or recipient list keeps the history, so no period is repeated
      // or skipped.
      const previousFrequency = frequencyOf(before?.schedule);
      const switchedOn = before !== null && !before.isActive && (input.isActive ?? true);
      scheduleSince =
        before?.scheduleSince && previousFrequency === parsed.rule.frequency && !switchedOn
          ? before.scheduleSince
          : new Date(this.clock.now());
    }
    return {
      name: input.name,
      description: input.description ?? null,
      type: input.type,
      config: config as unknown as JsonObject,
      format: input.format,
      schedule,
      scheduleSince,
      isActive: input.isActive ?? true,
    };
  }
}

function frequencyOf(schedule: unknown): string | undefined {
  if (typeof schedule !== 'object' || schedule === null) return undefined;
  const frequency = (schedule as { frequency?: unknown }).frequency;
  return typeof frequency === 'string' ? frequency : undefined;
}

export function toTemplateDto(row: ReportTemplateRow): ReportTemplateDto {
  return {
    id: row.id,
    subAccountId: row.subAccountId,
    name: row.name,
    description: row.description,
    type: row.type,
    config: row.config,
    format: row.format,
    schedule: row.schedule ?? null,
    isActive: row.isActive,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
