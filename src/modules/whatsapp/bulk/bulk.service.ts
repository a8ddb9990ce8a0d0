import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../../../common/auth/auth-user';
import { assertCanActOn, listScope, scopeOf } from '../../../common/auth/sub-account-scope';
import { DomainException } from '../../../common/errors/domain.exception';
import { IdempotencyService } from '../../../common/idempotency/idempotency.service';
import { Page, skipTake, toPage } from '../../../common/http/pagination';
import { TransactionRunner } from '../../../database/transaction-runner';
import { MessagesRepository } from '../messages.repository';
import { BulkRequestResolver } from './bulk-request-resolver';
import { BulkRunner } from './bulk-runner';
import {
  BulkStatus,
  etaSeconds,
  ledgerStatesOf,
  recipientStatusOf,
  RecipientState,
  RecipientStatus,
} from './bulk-states';
import { BulkRepository, BulkRow, CountsWithRate } from './bulk.repository';
import {
  BulkDto,
  BulkRecipientDto,
  CreateBulkDto,
  CreatedBulkDto,
  ListBulkQueryDto,
  ListRecipientsQueryDto,
} from './dto/bulk.dto';

const EMPTY_COUNTS: CountsWithRate = {
  total: 0,
  pending: 0,
  sent: 0,
  delivered: 0,
  read: 0,
  failed: 0,
  skipped: 0,
  unknown: 0,
  recent: 0,
};

/** Bulk sends: accepting one (recipients screened, ledger written, runners enqueued), progress, pause/resume/cancel. */
@Injectable()
export class BulkService {
  constructor(
    private readonly repo: BulkRepository,
    private readonly runner: BulkRunner,
    private readonly transactions: TransactionRunner,
    private readonly idempotency: IdempotencyService,
    private readonly requests: BulkRequestResolver,
    private readonly messages: MessagesRepository,
  ) {}

  async create(user: AuthUser, dto: CreateBulkDto): Promise<CreatedBulkDto> {
    assertCanActOn(user, dto.subAccountId);
    const { integration, template, parameters, recipients, skipped, perSecond } = await this.requests.resolve(dto);
    const scheduledAt = dto.scheduledAt ? new Date(dto.scheduledAt) : null;

    const toSend = recipients.filter((r) => r.skipReason === null).length;
    return this.transactions.run(async () => {
      const row = await this.repo.create({
        subAccountId: dto.subAccountId,
        integrationId: integration.id,
        kind: template ? 'template' : 'text',
        templateId: template ? template.id : null,
        templateName: template?.stored.name ?? null,
        templateLanguage: template?.stored.language ?? null,
        templateCategory: template?.category ?? null,
        template: template ? template.stored : null,
        text: dto.text ?? null,
        parameters,
        ratePerSecond: perSecond,
        lanes: 3,
        scheduledAt,
        createdBy: user.sub,
        skippedAtStart: skipped,
      });
      await this.repo.addRecipients(row.id, dto.subAccountId, recipients);
      // the jobs commit with the ledger: a bulk is never accepted without its runners
      await this.runner.kick(row);
      const created: CreatedBulkDto = {
        id: row.id.toString(),
        status: 'queued',
        recipients: toSend,
        skipped: {
          noPhone: skipped.noPhone,
          optedOut: skipped.optedOut,
          duplicatePhone: skipped.duplicatePhone,
          windowClosed: skipped.windowClosed,
        },
      };
      // and so does the Idempotency-Key's answer: a retry after a crash gets it, never the bulk again
      await this.idempotency.recordAnswer({ body: created });
      return created;
    });
  }

  async list(user: AuthUser, query: ListBulkQueryDto): Promise<Page<BulkDto>> {
    const scope = listScope(user, query.subAccountId);
    const { rows, total } = await this.repo.list(scope, skipTake(query));
    const counts = await this.repo.counts(rows.map((r) => r.id));
    return toPage(
      rows.map((r) => this.toDto(r, counts.get(r.id.toString()) ?? EMPTY_COUNTS)),
      total,
      query,
    );
  }

  async get(user: AuthUser, id: bigint): Promise<BulkDto> {
    const row = await this.find(user, id);
    const counts = await this.repo.counts([row.id]);
    return this.toDto(row, counts.get(row.id.toString()) ?? EMPTY_COUNTS);
  }

  async recipients(user: AuthUser, id: bigint, query: ListRecipientsQueryDto): Promise<Page<BulkRecipientDto>> {
    const row = await this.find(user, id);
    const { rows, total } = await this.repo.recipients(
      scopeOf(user),
      row.id,
      query.status ? ledgerStatesOf(query.status as RecipientStatus | RecipientState) : undefined,
      skipTake(query),
    );
    return toPage(
      rows.map((r) => ({
        leadId: r.leadId,
        phone: r.phone,
        status: recipientStatusOf(r.state),
        skipReason: r.skipReason,
        messageId: r.messageId,
        wamid: r.wamid,
        error:
          r.state === 'failed' || r.state === 'unknown'
            ? { code: r.errorCode, title: r.errorTitle ?? r.state, details: r.errorDetails }
            : null,
      })),
      total,
      query,
    );
  }

  async pause(user: AuthUser, id: bigint): Promise<BulkDto> {
    const row = await this.find(user, id);
    if (!(await this.repo.transition(scopeOf(user), row.id, ['queued', 'running'], 'paused')))
      return this.repeatOrRefuse(user, id, ['paused'], 'paused');
    return this.get(user, id);
  }

  async resume(user: AuthUser, id: bigint): Promise<BulkDto> {
    const row = await this.find(user, id);
    // A bulk paused before it ever started goes back to waiting for its scheduledAt; one whose time has
    // come (or that has none) starts here, so the answer is `running` whether or not its first run had
    // claimed it before the pause (the runner's start would do the same a moment later).
    const started = row.startedAt !== null;
    const resumed = await this.transactions.run(async () => {
      if (!(await this.repo.transition(scopeOf(user), row.id, ['paused'], started ? 'running' : 'queued')))
        return false;
      if (!started) await this.repo.start(row.id);
      await this.runner.kick(started ? { ...row, scheduledAt: null } : row);
      return true;
    });
    if (!resumed) return this.repeatOrRefuse(user, id, ['queued', 'running'], 'resumed');
    return this.get(user, id);
  }

  /** Pending recipients become `skipped` (reason cancelled); requests already out finish and are counted. */
  async cancel(user: AuthUser, id: bigint): Promise<BulkDto> {
    const row = await this.find(user, id);
    const cancelled = await this.transactions.run(async () => {
      if (!(await this.repo.transition(scopeOf(user), row.id, ['queued', 'running', 'paused'], 'cancelled')))
        return false;
      const written = await this.repo.skipUnsent(row.id, 'cancelled');
      // their messages were written `queued` when a runner claimed them: they will never leave
      await this.messages.failUnsent(written, {
        title: 'cancelled',
        details: 'Not sent: the bulk send was cancelled first',
      });
      return true;
    });
    if (!cancelled) return this.repeatOrRefuse(user, id, ['cancelled'], 'cancelled');
    return this.get(user, id);
  }

  /**
   * A transition that changed nothing. The bulk is already where the action leads (a repeated pause,
   * resume or cancel, or two tabs doing it at once): 200 with it as it is (API.md: these answer 200).
   * It is in a state the action cannot leave (pause of a completed bulk, resume of a cancelled one):
   * 409 naming that state. It was deleted meanwhile: 404.
   */
  private async repeatOrRefuse(user: AuthUser, id: bigint, already: BulkStatus[], done: string): Promise<BulkDto> {
    const now = await this.find(user, id);
    if (already.includes(now.status as BulkStatus)) return this.get(user, id);
    throw DomainException.conflict(`A ${now.status} bulk cannot be ${done}`);
  }

  private async find(user: AuthUser, id: bigint): Promise<BulkRow> {
    const row = await this.repo.find(scopeOf(user), id);
    if (!row) throw DomainException.notFound('Bulk send');
    return row;
  }

  private toDto(row: BulkRow, counts: CountsWithRate): BulkDto {
    const { recent, ...shown } = counts;
    const skipped = (row.skippedAtStart ?? {}) as Record<string, number>;
    const status = row.status as BulkStatus;
    return {
      id: row.id.toString(),
      subAccountId: row.subAccountId,
      integrationId: row.integrationId,
      status,
      counts: shown,
      skippedReasons: {
        noPhone: skipped.noPhone ?? 0,
        optedOut: skipped.optedOut ?? 0,
        duplicatePhone: skipped.duplicatePhone ?? 0,
        windowClosed: skipped.windowClosed ?? 0,
      },
      template:
        row.kind === 'template'
          ? {
              id: row.templateId?.toString() ?? null,
              name: row.templateName ?? '',
              language: row.templateLanguage ?? '',
              category: row.templateCategory,
            }
          : null,
      text: row.text,
      ratePerSecond: row.ratePerSecond,
      scheduledAt: row.scheduledAt?.toISOString() ?? null,
      startedAt: row.startedAt?.toISOString() ?? null,
      completedAt: row.completedAt?.toISOString() ?? null,
      etaSeconds: etaSeconds(
        status,
        counts.pending,
        row.ratePerSecond,
        { sends: recent, seconds: 10 },
        row.startedAt === null && row.scheduledAt !== null && row.scheduledAt.getTime() > Date.now(),
      ),
      error: row.error,
      createdBy: row.createdBy,
      createdAt: row.createdAt.toISOString(),
    };
  }
}
