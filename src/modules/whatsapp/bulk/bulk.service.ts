import { Inject, Injectable, Optional } from '@nestjs/common';
import type { AuthUser } from '../../../common/auth/auth-user';
import { assertCanActOn, listScope, scopeOf } from '../../../common/auth/sub-account-scope';
import { Clock, CLOCK, systemClock } from '../../../common/clock';
import { DomainException } from '../../../common/errors/domain.exception';
import { ErrorCode } from '../../../common/errors/error-code';
import { IdempotencyService } from '../../../common/idempotency/idempotency.service';
import { Page, skipTake, toPage } from '../../../common/http/pagination';
import { TransactionRunner } from '../../../database/transaction-runner';
import { WhatsAppCloudHandler } from '../../../handlers/whatsapp-cloud/whatsapp-cloud.handler';
import { IntegrationRow, IntegrationsRepository } from '../../integrations/integrations.repository';
import { OAuthTokensService } from '../../integrations/oauth-tokens.service';
import { canonicalPhone, normalizePhone } from '../domain/phone-match';
import { LEAD_PLACEHOLDER_FIELDS, prepareTemplateSend, StoredTemplate } from '../domain/template-send';
import { BulkContactsRepository, LeadForBulk } from './bulk-contacts.repository';
import { BulkPolicy, kindOf } from './bulk-policy';
import { BulkRunner } from './bulk-runner';
import {
  BulkStatus,
  etaSeconds,
  ledgerStatesOf,
  MAX_RECIPIENTS,
  recipientStatusOf,
  RecipientState,
  RecipientStatus,
  SkipReason,
} from './bulk-states';
import { BulkRepository, BulkRow, CountsWithRate, NewRecipient } from './bulk.repository';
import {
  BulkDto,
  BulkRecipientDto,
  CreateBulkDto,
  CreatedBulkDto,
  ListBulkQueryDto,
  ListRecipientsQueryDto,
} from './dto/bulk.dto';
import { assertRangeInOrder, createdToBound } from '../../../common/http/date-range';

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

/** A lead with every placeholder field set: checks the parameters' shape when the bulk is accepted. */
const ANY_LEAD = Object.fromEntries(LEAD_PLACEHOLDER_FIELDS.map((f) => [f, 'x']));

/** Bulk sends: accepting one (recipients screened, ledger written, runners enqueued), progress, pause/resume/cancel. */
/** Sends may go out through it: its connection test passed and nobody switched it off (as WhatsAppNumber.active). */
const isLive = (row: IntegrationRow): boolean => row.isActive && row.status === 'active';

@Injectable()
export class BulkService {
  constructor(
    private readonly repo: BulkRepository,
    private readonly contacts: BulkContactsRepository,
    private readonly integrations: IntegrationsRepository,
    private readonly oauth: OAuthTokensService,
    private readonly handler: WhatsAppCloudHandler,
    private readonly policy: BulkPolicy,
    private readonly runner: BulkRunner,
    private readonly transactions: TransactionRunner,
    private readonly idempotency: IdempotencyService,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {}

  async create(user: AuthUser, dto: CreateBulkDto): Promise<CreatedBulkDto> {
    assertCanActOn(user, dto.subAccountId);
    // each refusal names its field, as a single send's do
    if ((dto.leadIds === undefined) === (dto.filter === undefined))
      throw DomainException.validation('Give either leadIds or filter', [
        { field: 'leadIds', message: 'leadIds or filter' },
      ]);
    if ((dto.template === undefined) === (dto.text === undefined))
      throw DomainException.validation('Give either template or text', [
        { field: 'text', message: 'template or text' },
      ]);
    // free text has nothing to fill: parameters with it would be stored and never used
    if (dto.text !== undefined && dto.parameters !== undefined)
      throw DomainException.validation('parameters go with a template', [
        { field: 'parameters', message: 'only with a template' },
      ]);
    const bounds = filterBounds(dto.filter);
    const parameters = this.parameters(dto.parameters);
    const integration = await this.integration(dto.subAccountId, dto.integrationId);
    // as a single send: an OAuth-connected number without a usable token is 409 REAUTHORIZATION_REQUIRED now
    await this.oauth.fresh(integration);
    if (!isLive(integration))
      throw new DomainException(ErrorCode.INTEGRATION_NOT_ACTIVE, 'The WhatsApp integration is not active');
    const template = dto.template ? await this.template(integration, BigInt(dto.template.id), parameters) : null;

    const leads = dto.leadIds
      ? await this.leadsByIds(dto.subAccountId, dto.leadIds)
      : await this.leadsByFilter(dto, bounds);
    const { recipients, skipped } = await this.screen(integration, dto, template?.category ?? null, leads);
    const scheduledAt = dto.scheduledAt ? new Date(dto.scheduledAt) : null;
    const perSecond = this.handler.messagesPerSecond(this.configOf(integration));

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
    // a bulk paused before it ever started waits for its scheduledAt again, and its run sets startedAt
    const started = row.startedAt !== null;
    const resumed = await this.transactions.run(async () => {
      if (!(await this.repo.transition(scopeOf(user), row.id, ['paused'], started ? 'running' : 'queued')))
        return false;
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
      await this.repo.skipUnsent(row.id, 'cancelled');
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
      etaSeconds: etaSeconds(status, counts.pending, row.ratePerSecond, { sends: recent, seconds: 10 }),
      error: row.error,
      createdBy: row.createdBy,
      createdAt: row.createdAt.toISOString(),
    };
  }

  private parameters(raw: Record<string, unknown> | undefined): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(raw ?? {})) {
      if (typeof value !== 'string')
        throw new DomainException(ErrorCode.VALIDATION_FAILED, 'Template parameters must be strings', [
          { path: `parameters.${key}`, message: 'must be a string' },
        ]);
      out[key] = value;
    }
    return out;
  }

  private configOf(integration: IntegrationRow): Record<string, unknown> {
    const config: unknown = integration.config;
    return typeof config === 'object' && config !== null && !Array.isArray(config)
      ? (config as Record<string, unknown>)
      : {};
  }

  /**
   * The integration named, or the sub-account's only active WhatsApp integration, chosen and refused
   * as a single send chooses (WhatsAppNumbersService.resolve): 404 without any, 409
   * INTEGRATION_NOT_ACTIVE when none is active, 400 when several are.
   */
  private async integration(subAccountId: number, integrationId: number | undefined): Promise<IntegrationRow> {
    if (integrationId !== undefined) {
      const row = await this.integrations.findById([subAccountId], integrationId);
      if (!row || row.handler !== this.handler.key) throw DomainException.notFound('WhatsApp integration');
      return row;
    }
    const { rows } = await this.integrations.list([subAccountId], {}, 0, 500);
    const numbers = rows.filter((r) => r.handler === this.handler.key);
    const active = numbers.filter(isLive);
    if (active.length === 1) return active[0];
    if (numbers.length === 0) throw DomainException.notFound('WhatsApp integration');
    if (active.length === 0)
      throw new DomainException(ErrorCode.INTEGRATION_NOT_ACTIVE, 'The sub-account has no active WhatsApp integration');
    throw DomainException.validation('The sub-account has several active WhatsApp integrations: give integrationId', [
      { field: 'integrationId', message: 'required when the sub-account has several WhatsApp integrations' },
    ]);
  }

  /** An APPROVED template of this integration whose parameters fit (lead placeholders checked per recipient later). */
  private async template(
    integration: IntegrationRow,
    id: bigint,
    parameters: Record<string, string>,
  ): Promise<{ id: bigint; category: string; stored: StoredTemplate }> {
    const row = await this.contacts.template(integration.id, id);
    if (!row) throw DomainException.notFound('Template');
    if (row.status !== 'APPROVED')
      throw new DomainException(
        ErrorCode.TEMPLATE_NOT_APPROVED,
        `The template ${row.name} (${row.language}) is ${row.status}, not APPROVED`,
      );
    const stored: StoredTemplate = {
      name: row.name,
      language: row.language,
      components: row.components,
      parameter_format: row.parameterFormat,
      category: row.category,
    };
    const check = prepareTemplateSend(stored, parameters, ANY_LEAD);
    if (!check.ok)
      throw new DomainException(
        ErrorCode.TEMPLATE_PARAMETERS_INVALID,
        `The parameters do not fit the template ${row.name}`,
        check.problems,
      );
    return { id: row.id, category: row.category, stored };
  }

  private async leadsByIds(subAccountId: number, ids: readonly string[]): Promise<LeadForBulk[]> {
    const unique = [...new Set(ids)].map((id) => BigInt(id));
    const leads = await this.contacts.leadsByIds(subAccountId, unique);
    if (leads.length !== unique.length) {
      const found = new Set(leads.map((l) => l.id));
      const missing = unique.filter((id) => !found.has(id)).slice(0, 20);
      throw DomainException.validation(
        `${unique.length - leads.length} of the leads were not found in sub-account ${subAccountId}`,
        missing.map((id) => ({ path: 'leadIds', message: `lead ${id} not found` })),
      );
    }
    return leads;
  }

  private async leadsByFilter(dto: CreateBulkDto, { createdFrom, createdTo }: FilterBounds): Promise<LeadForBulk[]> {
    const f = dto.filter ?? {};
    const leads = await this.contacts.leadsByFilter(
      dto.subAccountId,
      {
        status: f.status,
        source: f.source,
        createdFrom,
        createdTo,
        tags: f.tags,
      },
      MAX_RECIPIENTS + 1,
    );
    if (leads.length > MAX_RECIPIENTS)
      throw DomainException.validation(`The filter matches more than ${MAX_RECIPIENTS} leads; narrow it`, [
        { field: 'filter', message: `matches more than ${MAX_RECIPIENTS} leads` },
      ]);
    if (leads.length === 0)
      throw DomainException.validation('The filter matches no lead', [{ field: 'filter', message: 'matches no lead' }]);
    return leads;
  }

  /** Skip reasons, first by phone (none, duplicate), then opt-outs and the window for the phones left. */
  private async screen(
    integration: IntegrationRow,
    dto: CreateBulkDto,
    templateCategory: string | null,
    leads: readonly LeadForBulk[],
  ): Promise<{
    recipients: NewRecipient[];
    skipped: Record<'noPhone' | 'optedOut' | 'duplicatePhone' | 'windowClosed', number>;
  }> {
    const seen = new Set<string>();
    const recipients: NewRecipient[] = leads.map((lead) => {
      const e164 = lead.phone && lead.phoneValid ? normalizePhone(lead.phone) : null;
      if (!e164) return { leadId: lead.id, phone: null, skipReason: 'noPhone' };
      const phone = canonicalPhone(e164);
      if (seen.has(phone)) return { leadId: lead.id, phone, skipReason: 'duplicatePhone' };
      seen.add(phone);
      return { leadId: lead.id, phone, skipReason: null };
    });
    const kind = kindOf({ kind: dto.text !== undefined ? 'text' : 'template', templateCategory });
    const blocked = await this.policy.screen(
      dto.subAccountId,
      integration.id,
      kind,
      [...seen],
      new Date(this.clock.now()),
    );
    for (const r of recipients) {
      const reason: SkipReason | undefined = r.skipReason === null && r.phone ? blocked.get(r.phone) : undefined;
      if (reason) r.skipReason = reason;
    }
    const count = (reason: SkipReason) => recipients.filter((r) => r.skipReason === reason).length;
    return {
      recipients,
      skipped: {
        noPhone: count('noPhone'),
        optedOut: count('optedOut'),
        duplicatePhone: count('duplicatePhone'),
        windowClosed: count('windowClosed'),
      },
    };
  }
}

interface FilterBounds {
  createdFrom?: Date;
  createdTo?: Date;
}

/** The filter's creation range, refused up front when upside down (not answered "matches no lead"). */
function filterBounds(filter: CreateBulkDto['filter']): FilterBounds {
  const createdFrom = filter?.createdFrom ? new Date(filter.createdFrom) : undefined;
  const createdTo = filter?.createdTo ? createdToBound(filter.createdTo) : undefined;
  assertRangeInOrder(createdFrom, createdTo, 'filter.createdFrom', 'filter.createdTo');
  return { createdFrom, createdTo };
}
