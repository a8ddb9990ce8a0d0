import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { AuthUser } from '../../common/auth/auth-user';
import { assertCanActOn, assertVisible, listScope, scopeOf } from '../../common/auth/sub-account-scope';
import { DomainException } from '../../common/errors/domain.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { Page, skipTake, toPage } from '../../common/http/pagination';
import { OutboundError } from '../../common/outbound/http-client';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { asId, asNumber, asString, isRecord, JsonRecord } from '../../handlers/shared/json';
import { instantMs } from '../../handlers/shared/instant';
import { graphErrorOf, isGraphAuthError, isGraphPermissionError } from '../../handlers/shared/meta-graph';
import type { WhatsAppBusinessMessaging } from '../../handlers/capabilities';
import { HandlerContext, IntegrationSetupError } from '../../handlers/integration-handler';
import { IntegrationsRepository } from '../integrations/integrations.repository';
import type { JsonValue } from '../../common/json-value';
import { JobHandler } from '../../jobs/job-definition';
import { JobsService } from '../../jobs/jobs.service';
import { unstorableReason } from '../webhooks/storable-json';
import { validateTemplateCreate } from './domain/template-create-rules';
import { describeTemplate, TEMPLATE_CATEGORIES } from './domain/template-rules';
import { LeadFields, prepareTemplateSend, TemplateSendObject } from './domain/template-send';
import {
  CreateWhatsAppTemplateDto,
  JobAcceptedDto,
  ListTemplatesQueryDto,
  SyncTemplatesDto,
  TEMPLATE_STATUSES,
  WhatsAppTemplateDto,
} from './dto/template.dto';
import { WhatsAppNumbersRepository } from './whatsapp-numbers.repository';
import { WhatsAppNumber, WhatsAppNumbersService } from './whatsapp-numbers.service';
import { WhatsAppTemplatesResync } from './whatsapp-templates-resync';
import { TemplateFields, TemplateRow, WhatsAppTemplatesRepository } from './whatsapp-templates.repository';

export function toTemplateDto(row: TemplateRow): WhatsAppTemplateDto {
  return {
    id: row.id.toString(),
    subAccountId: row.subAccountId,
    integrationId: row.integrationId,
    externalId: row.externalId,
    name: row.name,
    language: row.language,
    category: row.category,
    status: row.status,
    rejectedReason: row.rejectedReason,
    qualityScore: row.qualityScore,
    parameterFormat: row.parameterFormat,
    components: row.components,
    variables: row.variables,
    headerType: row.headerType,
    buttons: row.buttons,
    lastSyncedAt: row.lastSyncedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Meta's longest template name (WhatsApp Business Management API, message_templates `name`). */
const TEMPLATE_NAME_MAX = 512;
/** Locale codes, statuses, categories and quality ratings are single words. */
const TEMPLATE_WORD_MAX = 64;
const TEMPLATE_REASON_MAX = 1000;

function isTemplateStatus(word: string): boolean {
  return (TEMPLATE_STATUSES as readonly string[]).includes(word);
}

function isTemplateCategory(word: string): boolean {
  return (TEMPLATE_CATEGORIES as readonly string[]).includes(word);
}

/** A status, category or quality rating as a webhook names it; a text longer than a word is none. */
function templateWord(value: unknown): string | undefined {
  const word = asString(value);
  return word !== undefined && word.length <= TEMPLATE_WORD_MAX ? word : undefined;
}

/**
 * `rejectedReason` as the sync and the webhook both store it: Meta's reason, or null when it gives none.
 * Meta sends `NONE` for "no reason" (message_template_status_update `reason`: ABUSIVE_CONTENT,
 * INCORRECT_CATEGORY, INVALID_FORMAT, NONE, SCAM …; the list's `rejected_reason` likewise), and API.md's
 * template has no such value: a REJECTED row read "NONE" after the webhook and null after a sync.
 */
export function rejectedReasonOf(reason: string | undefined): string | null {
  return reason && reason.toUpperCase() !== 'NONE' ? reason : null;
}

/** Meta's template JSON (list or webhook) → the row's fields; null for a row that is not a template. */
export function templateFieldsOf(meta: JsonRecord): TemplateFields | null {
  const name = asString(meta.name);
  const language = asString(meta.language);
  if (!name || !language) return null;
  // a row PostgreSQL cannot store (NUL, unpaired surrogates) or no template has (a name past Meta's 512
  // characters, a status or category of a page's length) is not a template: the caller skips it, so
  // one garbled row never fails the whole reconcile (which then ran again, and failed, every 30 minutes)
  if (unstorableReason(meta) !== null || name.length > TEMPLATE_NAME_MAX) return null;
  const words = [language, meta.status, meta.category, meta.quality_score];
  if (words.some((word) => typeof word === 'string' && word.length > TEMPLATE_WORD_MAX)) return null;
  const components = Array.isArray(meta.components) ? meta.components : [];
  const facts = describeTemplate({ components, parameter_format: meta.parameter_format });
  const quality = isRecord(meta.quality_score) ? asString(meta.quality_score.score) : asString(meta.quality_score);
  const reason = asString(meta.rejected_reason)?.slice(0, TEMPLATE_REASON_MAX);
  return {
    externalId: asId(meta.id) ?? null,
    name,
    language,
    category: (asString(meta.category) ?? 'UTILITY').toUpperCase(),
    status: (asString(meta.status) ?? 'PENDING').toUpperCase(),
    rejectedReason: rejectedReasonOf(reason),
    qualityScore: quality ?? null,
    parameterFormat: facts.parameterFormat,
    components: components as JsonValue,
    variables: facts.variables as unknown as JsonValue,
    headerType: facts.headerType,
    buttons: facts.buttons as unknown as JsonValue,
  };
}

export type TemplateRef = { id: string } | { name: string; language: string };

/**
 * Templates as rows kept in step with Meta three ways: the message_template_status_update webhook
 * (applied at once), a paginated reconcile on a schedule and on demand, and create/delete through
 * Meta. Parameters are checked against the row before anything is enqueued (no 132000 from Meta).
 */
@Injectable()
export class WhatsAppTemplatesService implements OnApplicationBootstrap {
  private readonly logger = new Logger(WhatsAppTemplatesService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: WhatsAppTemplatesRepository,
    private readonly numbersRepository: WhatsAppNumbersRepository,
    private readonly numbers: WhatsAppNumbersService,
    private readonly jobs: JobsService,
    private readonly integrations: IntegrationsRepository,
    private readonly resync: WhatsAppTemplatesResync,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // every 30 minutes: the webhook normally keeps rows current; the reconcile catches what it missed
    if (this.config.role !== 'api') await this.jobs.schedule('whatsapp-templates-scheduler', '*/30 * * * *');
  }

  async list(user: AuthUser, query: ListTemplatesQueryDto): Promise<Page<WhatsAppTemplateDto>> {
    // agents only ever see what they can send
    const status = user.role === 'AGENT' ? 'APPROVED' : query.status;
    if (user.role === 'AGENT' && query.status && query.status !== 'APPROVED') return toPage([], 0, query);
    const { rows, total } = await this.repository.list(
      listScope(user, query.subAccountId),
      { integrationId: query.integrationId, status, category: query.category, language: query.language, q: query.q },
      skipTake(query),
    );
    return toPage(rows.map(toTemplateDto), total, query);
  }

  async create(user: AuthUser, dto: CreateWhatsAppTemplateDto): Promise<WhatsAppTemplateDto> {
    const number = await this.targetNumber(user, dto);
    const checked = validateTemplateCreate(dto);
    if (!checked.ok) throw DomainException.validation('The template is not valid', checked.problems);
    const existing = await this.repository.findByName(number.integrationId, dto.name, dto.language);
    if (existing && existing.status !== 'DELETED')
      throw DomainException.conflict(`Template ${dto.name} (${dto.language}) already exists`);
    const worker = await this.requireWorker(number.integrationId);
    let created: { id: string; status: string; category?: string };
    try {
      created = await worker.handler.createTemplate(worker.ctx, { ...checked.request });
    } catch (err) {
      throw this.metaError(err, 'Meta refused the template');
    }
    const fields = templateFieldsOf({
      ...checked.request,
      id: created.id,
      status: created.status,
      category: created.category ?? checked.request.category,
    });
    if (!fields) throw new Error('template fields missing after create');
    const row = await this.repository.upsert(number.subAccountId, number.integrationId, fields, new Date(), user.sub);
    return toTemplateDto(row);
  }

  async delete(user: AuthUser, id: bigint): Promise<void> {
    const row = await this.repository.find(scopeOf(user), id);
    if (!row) throw DomainException.notFound('Template');
    const worker = await this.requireWorker(row.integrationId);
    if (row.externalId) {
      try {
        await worker.handler.deleteTemplate(worker.ctx, row.name, row.externalId);
      } catch (err) {
        // already gone at Meta: the row goes too; anything else keeps the row
        const graph = err instanceof OutboundError ? graphErrorOf(err.body) : undefined;
        const gone =
          err instanceof OutboundError && err.status === 400 && /not found|does not exist/i.test(graph?.message ?? '');
        if (!gone) throw this.metaError(err, 'Meta refused to delete the template');
      }
    }
    await this.repository.delete(row.id);
  }

  async requestSync(user: AuthUser, dto: SyncTemplatesDto): Promise<JobAcceptedDto> {
    const number = await this.targetNumber(user, dto);
    const jobId = await this.jobs.send('whatsapp-templates-sync', { integrationId: BigInt(number.integrationId) });
    return { jobId };
  }

  @JobHandler('whatsapp-templates-scheduler')
  async scheduleReconciles(): Promise<void> {
    for (const id of await this.numbers.activeIntegrationIds()) await this.resync.request(id);
  }

  /** GET /{waba}/message_templates, every page: rows upserted, rows Meta no longer lists marked DELETED. */
  @JobHandler('whatsapp-templates-sync')
  async runReconcile({ integrationId }: { integrationId: bigint }): Promise<void> {
    await this.reconcile(integrationId);
  }

  async reconcile(integrationId: bigint): Promise<{ seen: number; deleted: number }> {
    const worker = await this.numbers.forWorker(Number(integrationId));
    if (!worker) return { seen: 0, deleted: 0 };
    const startedAt = new Date();
    const seen: bigint[] = [];
    let after: string | undefined;
    const cursors = new Set<string>();
    for (let page = 0; page < 1000; page++) {
      const result = await this.listTemplates(worker, integrationId, after);
      for (const meta of result.data) {
        const fields = templateFieldsOf(meta);
        if (!fields) {
          this.logger.warn(
            { integrationId: Number(integrationId), templateId: asId(meta.id) },
            'Meta template row skipped',
          );
          continue;
        }
        const row = await this.repository.reconcile(
          worker.number.subAccountId,
          worker.number.integrationId,
          fields,
          startedAt,
        );
        seen.push(row.id);
      }
      // a cursor Meta already gave this run would only list the same page again (up to 1000 calls)
      if (!result.after || result.data.length === 0 || cursors.has(result.after)) break;
      cursors.add(result.after);
      after = result.after;
    }
    const deleted = await this.repository.markMissingDeleted(worker.number.integrationId, seen, startedAt);
    return { seen: seen.length, deleted };
  }

  /**
   * One page of the WABA's templates. A refused token (Graph code 190) or a missing permission (10,
   * 200-299: developers.facebook.com/docs/graph-api/guides/error-handling) will be refused the same
   * way every 30 minutes until someone reconnects: it is reported on the integration (status error,
   * this message), as the Meta lead fetch and LinkedIn report theirs, not only in the job's log.
   */
  private async listTemplates(
    worker: { handler: WhatsAppBusinessMessaging; ctx: HandlerContext },
    integrationId: bigint,
    after: string | undefined,
  ): Promise<{ data: JsonRecord[]; after?: string }> {
    try {
      return await worker.handler.listTemplates(worker.ctx, after);
    } catch (err) {
      if (!(err instanceof OutboundError) || (err.kind !== 'auth' && err.kind !== 'client')) throw err;
      const graph = graphErrorOf(err.body);
      const said = graph?.message ?? `HTTP ${err.status ?? '?'}`;
      const refused =
        isGraphAuthError(graph) || (graph?.code === undefined && err.status === 401)
          ? `Meta refused the access token reading the message templates (${said}); reconnect the WhatsApp Business Account`
          : isGraphPermissionError(graph)
            ? `Meta refused the message templates for a missing permission (${said}); reconnect with whatsapp_business_management`
            : undefined;
      if (refused === undefined) throw err;
      await this.integrations.markSetupError(Number(integrationId), refused);
      throw new IntegrationSetupError(refused, { cause: err });
    }
  }

  /**
   * message_template_status_update / quality / category webhooks: the row changes at once; an edit
   * (message_template_components_update) starts a reconcile.
   */
  async applyWebhook(integrationId: number, payload: unknown): Promise<string> {
    if (!isRecord(payload)) return 'ignored';
    const externalId = asId(payload.message_template_id);
    if (!externalId) return 'ignored';
    const field = asString(payload.field);
    if (field === 'message_template_components_update') {
      // an edited template: the webhook names its texts, not the components a send is checked against and
      // built from (variables, examples, buttons); Meta's list has them
      await this.resync.request(integrationId);
      return 'components: reconcile started';
    }
    const seconds = asNumber(payload.time);
    // Meta's `time` has whole seconds: the change happened somewhere in that second, so it counts as its
    // end; otherwise a row created (or reconciled) earlier in the same second looks newer and the
    // approval is dropped as stale (the end-to-end test failed whenever creation and webhook shared a second)
    // A stamp that is no time (1e20, negative) or still to come (year 5138) is not the change's time: a
    // future one would make every later report look stale, and an invalid Date fails the update
    const ms = seconds ? instantMs(seconds * 1000 + 999) : undefined;
    const at = new Date(ms === undefined ? Date.now() : Math.min(ms, Date.now()));
    let row = await this.repository.findByExternalId(integrationId, externalId);
    if (!row) {
      // a template created in WhatsApp Manager: reconcile picks up its components; keep what the webhook says now
      const name = asString(payload.message_template_name);
      const language = asString(payload.message_template_language);
      if (!name || !language) return 'unknown template';
      row = await this.repository.findByName(integrationId, name, language);
      // the row of another template that had this name and language (Meta frees a deleted template's
      // name for a new one, with its own id and components): approving it would send the old components
      const another = row !== null && row.externalId !== null && row.externalId !== externalId;
      if (!row || another) {
        await this.resync.request(integrationId);
        return 'unknown template: reconcile started';
      }
    }
    if (field === 'message_template_quality_update') {
      const score = templateWord(payload.new_quality_score);
      if (score) await this.repository.applyStatus(row.id, { qualityScore: score }, at);
      return 'quality';
    }
    if (field === 'template_category_update') {
      const category = templateWord(payload.new_category);
      if (category) await this.repository.applyStatus(row.id, { category: category.toUpperCase() }, at);
      return 'category';
    }
    const event = templateWord(payload.event)?.toUpperCase();
    if (!event) return 'ignored';
    // FLAGGED (quality warning) and REINSTATED (back from PAUSED/FLAGGED) are events, not statuses
    const status = event === 'REINSTATED' ? 'APPROVED' : event;
    if (event === 'FLAGGED') return 'flagged';
    if (!isTemplateStatus(status)) {
      // LOCKED, UNARCHIVED (or an event Meta adds) name no status of API.md's list: Meta's list says what it is now
      await this.resync.request(integrationId);
      return `${event}: reconcile started`;
    }
    const reason = asString(payload.reason)?.slice(0, TEMPLATE_REASON_MAX);
    // the category Meta holds the template under (it may approve it under another than the one submitted)
    const category = templateWord(payload.message_template_category)?.toUpperCase();
    await this.repository.applyStatus(
      row.id,
      {
        status,
        ...(category && isTemplateCategory(category) ? { category } : {}),
        rejectedReason: status === 'REJECTED' ? rejectedReasonOf(reason) : null,
      },
      at,
    );
    return status;
  }

  /** The template a send names, APPROVED (422 TEMPLATE_NOT_APPROVED otherwise, 404 when unknown). */
  async resolveSendable(number: WhatsAppNumber, ref: TemplateRef): Promise<TemplateRow> {
    let row: TemplateRow | null;
    if ('id' in ref) {
      if (!/^[1-9][0-9]{0,18}$/.test(ref.id)) throw DomainException.notFound('Template');
      row = await this.repository.find([number.subAccountId], BigInt(ref.id));
      if (row && row.integrationId !== number.integrationId) row = null;
    } else row = await this.repository.findByName(number.integrationId, ref.name, ref.language);
    if (!row) throw DomainException.notFound('Template');
    if (row.status !== 'APPROVED')
      throw new DomainException(
        ErrorCode.TEMPLATE_NOT_APPROVED,
        `Template ${row.name} (${row.language}) is ${row.status}, not APPROVED`,
      );
    return row;
  }

  /** The `template` object of the send, or 400 TEMPLATE_PARAMETERS_INVALID with every problem. */
  prepare(row: TemplateRow, parameters: Record<string, string>, lead?: LeadFields): TemplateSendObject {
    const prepared = prepareTemplateSend(
      {
        name: row.name,
        language: row.language,
        components: row.components,
        parameter_format: row.parameterFormat,
        category: row.category,
      },
      parameters,
      lead,
    );
    if (!prepared.ok)
      throw new DomainException(
        ErrorCode.TEMPLATE_PARAMETERS_INVALID,
        `The parameters do not fit template ${row.name}`,
        prepared.problems,
      );
    return prepared.template;
  }

  /**
   * The number a template write or sync is for: `integrationId`, or (API.md "WhatsApp") the only active
   * WhatsApp integration of `subAccountId`. 400 naming integrationId when neither is given (an empty body
   * is not a request for the caller's only number); 404 when the integration is not in `subAccountId`.
   */
  private async targetNumber(
    user: AuthUser,
    dto: { integrationId?: number; subAccountId?: number },
  ): Promise<WhatsAppNumber> {
    if (dto.integrationId !== undefined) {
      const number = await this.visibleNumber(user, dto.integrationId);
      if (dto.subAccountId !== undefined && number.subAccountId !== dto.subAccountId)
        throw DomainException.notFound('WhatsApp integration');
      return number;
    }
    const subAccountId = dto.subAccountId;
    if (subAccountId === undefined)
      throw DomainException.validation('Say which WhatsApp integration', [
        {
          field: 'integrationId',
          message: 'required unless subAccountId names a sub-account with one active WhatsApp integration',
        },
      ]);
    assertCanActOn(user, subAccountId);
    return this.numbers.resolve(subAccountId);
  }

  private async visibleNumber(user: AuthUser, integrationId: number): Promise<WhatsAppNumber> {
    const row = assertVisible(user, await this.numbersRepository.find(integrationId), 'WhatsApp integration');
    return this.numbers.numberOf(row);
  }

  private async requireWorker(integrationId: number) {
    const worker = await this.numbers.forWorker(integrationId);
    if (!worker) throw DomainException.notFound('WhatsApp integration');
    return worker;
  }

  private metaError(err: unknown, what: string): unknown {
    if (!(err instanceof OutboundError)) return err;
    const graph = graphErrorOf(err.body);
    const said = graph?.message ?? err.message;
    if (err.kind === 'client')
      return DomainException.validation(`${what}: ${said}`, [{ code: graph?.code ?? null, message: said }]);
    if (err.kind === 'auth') return new DomainException(ErrorCode.INVALID_CREDENTIALS, `${what}: ${said}`);
    this.logger.warn({ reason: said }, what);
    return new DomainException(ErrorCode.CONNECTION_FAILED, `${what}: ${said}`);
  }
}
