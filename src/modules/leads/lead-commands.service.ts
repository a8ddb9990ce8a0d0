import { Inject, Injectable, Optional } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { AuthUser } from '../../common/auth/auth-user';
import { assertCanActOn, scopeOf } from '../../common/auth/sub-account-scope';
import { Clock, CLOCK, systemClock } from '../../common/clock';
import { DomainException } from '../../common/errors/domain.exception';
import { IdempotencyService } from '../../common/idempotency/idempotency.service';
import { TransactionRunner } from '../../database/transaction-runner';
import type { LeadInput } from '../../handlers/handler-types';
import type { ActivityDto, LeadDetailDto } from './dto/lead.dto';
import { CreateActivityDto, CreateLeadDto, StatusChangeDto, UpdateLeadDto } from './dto/lead-write.dto';
import { LeadFactsRepository } from './lead-facts.repository';
import { LeadWriterService } from './lead-writer.service';
import { toActivityDto, toLeadDetailDto } from './lead.mapper';
import { LeadsRepository } from './leads.repository';
import { LeadsWriteRepository } from './leads-write.repository';

/**
 * What the CRM does to leads (issue 13): status and assignee changes, agents' activities, manual
 * leads. Each change is recorded as an append-only fact in the same transaction as the change; the
 * analytics rollup follows at commit.
 */
@Injectable()
export class LeadCommandsService {
  constructor(
    private readonly reads: LeadsRepository,
    private readonly facts: LeadFactsRepository,
    private readonly writes: LeadsWriteRepository,
    private readonly writer: LeadWriterService,
    private readonly transactions: TransactionRunner,
    private readonly idempotency: IdempotencyService,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {}

  async update(user: AuthUser, id: bigint, dto: UpdateLeadDto): Promise<LeadDetailDto> {
    const lead = await this.reads.find(scopeOf(user), id);
    if (!lead) throw DomainException.notFound('Lead');
    await this.transactions.run(async () => {
      const locked = await this.facts.lock(lead.subAccountId, id);
      if (!locked) throw DomainException.notFound('Lead');
      // read once the lock is held: concurrent changes are then dated in the order they are chained
      // (from = the previous change's to), and the history, ordered by `at`, stays a chain
      const at = new Date(this.clock.now());
      if (dto.assignedUserId !== undefined || dto.assignedUserName !== undefined) {
        const to = dto.assignedUserId === undefined ? locked.assignedUserId : dto.assignedUserId;
        // a name left out is the assignee's as stored when the assignee stays (a PATCH repeating it
        // changed nothing else, and wiped the name); a new assignee has none until one is given
        const keptName = to === locked.assignedUserId ? locked.assignedUserName : null;
        const toName = to === null ? null : dto.assignedUserName === undefined ? keptName : dto.assignedUserName;
        await this.facts.assign(lead.subAccountId, id, { from: locked.assignedUserId, to, toName, at, by: user.sub });
      }
      if (dto.tags) await this.facts.setTags(lead.subAccountId, id, [...new Set(dto.tags)]);
      if (dto.status)
        await this.writes.setStatus(lead.subAccountId, id, dto.status, { at, by: user.sub, origin: 'api' });
    });
    return this.detail(lead.subAccountId, id);
  }

  async history(user: AuthUser, id: bigint): Promise<StatusChangeDto[]> {
    const lead = await this.reads.find(scopeOf(user), id);
    if (!lead) throw DomainException.notFound('Lead');
    return (await this.facts.statusHistory(lead.subAccountId, id)).map((c) => ({
      id: c.id.toString(),
      from: c.fromStatus,
      to: c.toStatus,
      at: c.at.toISOString(),
      by: c.by,
      origin: c.origin,
    }));
  }

  async addActivity(user: AuthUser, id: bigint, dto: CreateActivityDto): Promise<ActivityDto> {
    const lead = await this.reads.find(scopeOf(user), id);
    if (!lead) throw DomainException.notFound('Lead');
    // API.md takes an outcome on every type (a meeting no-show, a WhatsApp left unanswered); team
    // performance and the score count answered calls only (type CALL and outcome ANSWERED)
    const row = await this.facts.addActivity(lead.subAccountId, id, {
      type: dto.type,
      outcome: dto.outcome ?? null,
      userId: dto.userId,
      userName: dto.userName ?? null,
      occurredAt: dto.occurredAt ? new Date(dto.occurredAt) : new Date(this.clock.now()),
      durationSeconds: dto.durationSeconds ?? null,
      note: dto.note ?? null,
      createdBy: user.sub,
    });
    return toActivityDto(row);
  }

  /**
   * A manual lead through the same deduplication as ingest (apply_lead): created (201), or the lead it
   * matched (200). The controller answers with this status and lead as they are.
   */
  async create(user: AuthUser, dto: CreateLeadDto): Promise<{ status: 201 | 200; lead: LeadDetailDto }> {
    assertCanActOn(user, dto.subAccountId);
    // blank text counts as absent: a name of spaces is stored as null, and made a lead naming no one
    if (![dto.email, dto.phone, dto.fullName, dto.firstName, dto.lastName].some((value) => value?.trim()))
      throw DomainException.validation('A lead needs at least a name, an e-mail or a phone');
    // a super-admin (or a token naming a deleted sub-account) may name one that does not exist
    if (!(await this.reads.subAccountExists(dto.subAccountId))) throw DomainException.notFound('Sub-account');
    const answers = dto.customAnswers ?? {};
    // named one by one, as every other refused field is: details was empty
    const notText = Object.keys(answers).filter((key) => typeof answers[key] !== 'string');
    if (notText.length > 0)
      throw DomainException.validation(
        'customAnswers values must be strings',
        notText.map((key) => ({ field: `customAnswers.${key}`, messages: ['must be a string'] })),
      );
    const { platform: _platform, ...source } = dto.source ?? { platform: 'manual' };
    const input: LeadInput = {
      platform: 'manual',
      externalId: randomUUID(),
      fullName: dto.fullName,
      firstName: dto.firstName,
      lastName: dto.lastName,
      email: dto.email,
      phone: dto.phone,
      company: dto.company,
      jobTitle: dto.jobTitle,
      city: dto.city,
      region: dto.region,
      postalCode: dto.postalCode,
      country: dto.country,
      tags: dto.tags,
      customAnswers: answers,
      isTest: dto.isTest,
      submittedAt: new Date(this.clock.now()).toISOString(),
      source,
    };
    // one transaction: the lead with its source details, and the Idempotency-Key's answer (the lead as
    // this transaction wrote it)
    return this.transactions.run(async () => {
      const result = await this.writer.upsert(
        { subAccountId: dto.subAccountId, integrationId: null, origin: `manual:${user.sub}:${input.externalId}` },
        input,
      );
      const answer = {
        status: result.created ? 201 : 200,
        lead: await this.detail(dto.subAccountId, result.leadId),
      } as const;
      await this.idempotency.recordAnswer({ status: answer.status, body: answer.lead });
      return answer;
    });
  }

  private async detail(subAccountId: number, id: bigint): Promise<LeadDetailDto> {
    const row = await this.reads.findDetail([subAccountId], id);
    if (!row) throw DomainException.notFound('Lead');
    return toLeadDetailDto(row);
  }
}
