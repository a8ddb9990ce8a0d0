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
import { LEAD_TEXT_LIMITS, storableTags } from './lead-write-values';

/**
 * How far ahead an activity may be dated: a meeting is logged when it is booked, days or weeks ahead (a
 * CRM's "today 08:00 local" is ahead of the clock for part of the day, too). A year covers any booking.
 */
const ACTIVITY_AHEAD_MS = 366 * 86_400_000;

/**
 * When an activity happened (or is booked for): now when not given. Every stamp the hub keeps is after the
 * epoch (handlers/shared/instant.ts); a CRM's year 9999 or 2999 is a typo that would count in team figures
 * of a day no report reaches, as would year 1969: refused, naming the field.
 */
function activityTime(occurredAt: string | undefined, now: number): Date {
  if (occurredAt === undefined) return new Date(now);
  const at = Date.parse(occurredAt);
  const problem =
    at < 0
      ? 'occurredAt must not be before 1970-01-01T00:00:00Z'
      : at > now + ACTIVITY_AHEAD_MS
        ? 'occurredAt must not be more than a year ahead'
        : null;
  if (problem) throw DomainException.validation(problem, [{ field: 'occurredAt', messages: [problem] }]);
  return new Date(at);
}

/**
 * Custom answers a lead cannot keep whole (LEAD_TEXT_LIMITS: a provider's are cut there). A person's
 * request was cut without a word, the 201st answer dropped and a long one shortened: each is named.
 */
function oversizedAnswers(answers: Readonly<Record<string, string>>): Array<{ field: string; messages: string[] }> {
  const { answers: most, answerKey, answerValue } = LEAD_TEXT_LIMITS;
  const keys = Object.keys(answers);
  if (keys.length > most) return [{ field: 'customAnswers', messages: [`must hold at most ${most} answers`] }];
  return keys.flatMap((key) => {
    const messages = [
      ...(key.length > answerKey ? [`question must be at most ${answerKey} characters`] : []),
      ...(answers[key].length > answerValue ? [`answer must be at most ${answerValue} characters`] : []),
    ];
    return messages.length > 0 ? [{ field: `customAnswers.${key.slice(0, answerKey)}`, messages }] : [];
  });
}

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
      // as a created lead's (storableLead): " hot", "hot " and "" were three tags
      if (dto.tags) await this.facts.setTags(lead.subAccountId, id, storableTags(dto.tags));
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
      occurredAt: activityTime(dto.occurredAt, this.clock.now()),
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
    const tooLarge = oversizedAnswers(answers);
    if (tooLarge.length > 0) throw DomainException.validation(`customAnswers ${tooLarge[0].messages[0]}`, tooLarge);
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
