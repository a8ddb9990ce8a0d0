// A bulk create request checked and resolved (integration, template, screened recipients), apart from its lifecycle.
import { Inject, Injectable, Optional } from '@nestjs/common';
import { Clock, CLOCK, systemClock } from '../../../common/clock';
import { DomainException } from '../../../common/errors/domain.exception';
import { ErrorCode } from '../../../common/errors/error-code';
import { WhatsAppCloudHandler } from '../../../handlers/whatsapp-cloud/whatsapp-cloud.handler';
import { IntegrationRow, IntegrationsRepository } from '../../integrations/integrations.repository';
import { OAuthTokensService } from '../../integrations/oauth-tokens.service';
import { canonicalPhone, normalizePhone } from '../domain/phone-match';
import { LEAD_PLACEHOLDER_FIELDS, prepareTemplateSend, StoredTemplate } from '../domain/template-send';
import { BulkContactsRepository, LeadForBulk } from './bulk-contacts.repository';
import { BulkPolicy, kindOf } from './bulk-policy';
import { MAX_RECIPIENTS, SkipReason } from './bulk-states';
import { NewRecipient } from './bulk.repository';
import { CreateBulkDto } from './dto/bulk.dto';
import { AnalyticsRowsService } from '../../analytics/analytics-rows.service';
import { CreatedRange, createdRange, needsCalendar } from '../../leads/created-range';

/** A lead with every placeholder field set: checks the parameters' shape when the bulk is accepted. */
const ANY_LEAD = Object.fromEntries(LEAD_PLACEHOLDER_FIELDS.map((f) => [f, 'x']));

/** Sends may go out through it: its connection test passed and nobody switched it off (as WhatsAppNumber.active). */
const isLive = (row: IntegrationRow): boolean => row.isActive && row.status === 'active';

/** A bulk create request checked and resolved: what BulkService writes to the ledger. */
export interface ResolvedBulkRequest {
  integration: IntegrationRow;
  template: BulkTemplate | null;
  parameters: Record<string, string>;
  recipients: NewRecipient[];
  skipped: Record<'noPhone' | 'optedOut' | 'duplicatePhone' | 'windowClosed', number>;
  perSecond: number;
}

interface BulkTemplate {
  id: bigint;
  category: string;
  stored: StoredTemplate;
}

@Injectable()
export class BulkRequestResolver {
  constructor(
    private readonly contacts: BulkContactsRepository,
    private readonly analytics: AnalyticsRowsService,
    private readonly integrations: IntegrationsRepository,
    private readonly oauth: OAuthTokensService,
    private readonly handler: WhatsAppCloudHandler,
    private readonly policy: BulkPolicy,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {}

  async resolve(dto: CreateBulkDto): Promise<ResolvedBulkRequest> {
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
    const bounds = await this.filterBounds(dto);
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
    const perSecond = this.handler.messagesPerSecond(this.configOf(integration));
    return { integration, template, parameters, recipients, skipped, perSecond };
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
  ): Promise<BulkTemplate> {
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

  /**
   * The filter's creation range, refused up front when upside down (not answered "matches no lead"):
   * dates are days of the sub-account's calendar, as GET /api/leads reads them.
   */
  private async filterBounds(dto: CreateBulkDto): Promise<CreatedRange> {
    const { createdFrom, createdTo } = dto.filter ?? {};
    const zone = needsCalendar(createdFrom, createdTo) ? await this.analytics.timezoneOf(dto.subAccountId) : 'UTC';
    return createdRange(createdFrom, createdTo, zone, ['filter.createdFrom', 'filter.createdTo']);
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

  private async leadsByFilter(dto: CreateBulkDto, { createdFrom, createdTo }: CreatedRange): Promise<LeadForBulk[]> {
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
