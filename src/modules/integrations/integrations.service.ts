import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AuthUser } from '../../common/auth/auth-user';
import { assertCanActOn, listScope, scopeOf } from '../../common/auth/sub-account-scope';
import { integrationSecretContext, SecretBox } from '../../common/crypto/secret-box';
import { DomainException } from '../../common/errors/domain.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { Page, skipTake, toPage } from '../../common/http/pagination';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { HandlerRegistry } from '../../handlers/handler-registry';
import { AnalyticsFiguresService } from '../analytics/analytics-figures.service';
import { AuditEntry, AuditService } from '../audit/audit.service';
import { ConfigCodec, ConfigObject } from '../integration-templates/config-codec';
import { IntegrationTemplatesService } from '../integration-templates/integration-templates.service';
import type { TemplateRow } from '../integration-templates/integration-templates.repository';
import { IntegrationConfigService, routingKeyTaken } from './integration-config.service';
import {
  CreatedIntegrationDto,
  CreateIntegrationDto,
  IntegrationDto,
  LimitsDto,
  ListIntegrationsQueryDto,
  UpdateIntegrationDto,
  WebhookSecretDto,
} from './dto/integration.dto';
import type { Integration, IntegrationChange } from './integration';
import { AfterWrite, IntegrationsRepository, UpdateOutcome } from './integrations.repository';
import { PREVIOUS_WEBHOOK_SECRET_POINTER, WEBHOOK_SECRET_POINTER } from './sealed-fields';
import { OAuthTokensService } from './oauth-tokens.service';
import { rotateSecrets, SEAL_VERSION } from './secret-rotation';
import { WabaSubscriptionsService } from './waba-subscriptions.service';

function newWebhookSecret(): string {
  return randomBytes(32).toString('base64url');
}

@Injectable()
export class IntegrationsService implements OnApplicationBootstrap {
  private readonly logger = new Logger(IntegrationsService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: IntegrationsRepository,
    private readonly templates: IntegrationTemplatesService,
    private readonly configs: IntegrationConfigService,
    private readonly codec: ConfigCodec,
    private readonly box: SecretBox,
    private readonly registry: HandlerRegistry,
    private readonly audit: AuditService,
    private readonly figures: AnalyticsFiguresService,
    private readonly oauth: OAuthTokensService,
    private readonly wabaSubscriptions: WabaSubscriptionsService,
  ) {}

  /**
   * DESIGN.md: refuse to start when stored secrets were sealed with a key we do not have. Then bind
   * legacy sealed values to their row and field (idempotent; concurrent processes skip each other).
   */
  async onApplicationBootstrap(): Promise<void> {
    const unknown = (await this.repository.keyIdsInUse()).filter((id) => !this.box.hasKey(id));
    if (unknown.length) {
      throw new Error(
        `Stored secrets were encrypted with key id(s) ${unknown.join(', ')}, which ENCRYPTION_KEYS does not contain. ` +
          'Add the key(s) back to ENCRYPTION_KEYS (after the current one) and run `npm run secrets:rotate`.',
      );
    }
    const counts = await rotateSecrets(this.repository, this.codec, this.box, (line) => this.logger.warn(line), 100, {
      legacyOnly: true,
    });
    if (counts.scanned > 0) this.logger.log({ ...counts }, 'legacy sealed values bound to their rows');
  }

  /** Never throws: a secret that does not open is shown masked with nothing of it. */
  toDto(row: Integration): IntegrationDto {
    return {
      id: row.id,
      subAccountId: row.subAccountId,
      integrationTemplateId: row.templateId,
      template: {
        name: row.template.name,
        displayName: row.template.displayName,
        category: row.template.category,
        handler: row.template.handler,
      },
      name: row.name,
      description: row.description,
      isActive: row.isActive,
      status: row.status,
      config: this.configs.masked(row),
      lastSyncAt: row.lastSyncAt?.toISOString() ?? null,
      lastSyncStatus: row.lastSyncStatus,
      lastWebhookAt: row.lastWebhookAt?.toISOString() ?? null,
      errorMessage: row.errorMessage,
      webhookUrl: `${this.config.publicBaseUrl}/api/webhooks/${row.handler}/${row.webhookId}`,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
      createdBy: row.createdBy,
      stats: { totalLeads: 0, leadsToday: 0, lastSyncStatus: row.lastSyncStatus },
    };
  }

  /** The figures of the CRM's integration list, from the analytics rollup (one read per sub-account). */
  private async withStats(dtos: IntegrationDto[]): Promise<IntegrationDto[]> {
    const subAccounts = [...new Set(dtos.map((d) => d.subAccountId))];
    const counts = new Map(
      await Promise.all(subAccounts.map(async (sub) => [sub, await this.figures.integrationLeadCounts(sub)] as const)),
    );
    return dtos.map((d) => {
      const c = counts.get(d.subAccountId)?.get(d.id);
      return { ...d, stats: { ...d.stats, totalLeads: c?.total ?? 0, leadsToday: c?.today ?? 0 } };
    });
  }

  async list(user: AuthUser, query: ListIntegrationsQueryDto): Promise<Page<IntegrationDto>> {
    const scope = listScope(user, query.subAccountId);
    const { skip, take } = skipTake(query);
    const { rows, total } = await this.repository.list(
      scope,
      { status: query.status, templateId: query.templateId },
      skip,
      take,
    );
    return toPage(await this.withStats(rows.map((r) => this.toDto(r))), total, query);
  }

  async get(user: AuthUser, id: number): Promise<IntegrationDto> {
    const [dto] = await this.withStats([this.toDto(await this.find(user, id))]);
    return dto;
  }

  /** The integration if the caller may see it; 404 otherwise (never revealing that it exists). */
  async find(user: AuthUser, id: number): Promise<Integration> {
    const row = await this.repository.findById(scopeOf(user), id);
    if (!row) throw DomainException.notFound('Integration');
    return row;
  }

  /** An active template the caller's sub-account may use, with the config validated against it. */
  async validatedForNew(
    user: AuthUser,
    subAccountId: number,
    templateId: number,
    config: ConfigObject,
    oauth: 'may-fill' | 'none' = 'may-fill',
  ): Promise<{ template: TemplateRow; plain: ConfigObject; routingKey: string | null }> {
    assertCanActOn(user, subAccountId);
    if (!(await this.repository.findSubAccount(subAccountId))) throw DomainException.notFound('Sub-account');
    const template = await this.templates.require(templateId).catch(() => null);
    if (!template || !template.isActive) throw DomainException.notFound('Integration template');
    const plain = this.configs.validated(template, config, oauth);
    return { template, plain, routingKey: this.configs.routingKey(template.handler, plain) };
  }

  async create(user: AuthUser, dto: CreateIntegrationDto): Promise<CreatedIntegrationDto> {
    // a template whose schema changed between the validation and the insert: validated and sealed again
    // with the schema it has now (see IntegrationsRepository.createWithinLimit)
    for (let attempt = 1; ; attempt++) {
      const created = await this.createOnce(user, dto);
      if (created !== null) return created;
      if (attempt === 3)
        throw DomainException.conflict('The integration template changed while the integration was created; try again');
    }
  }

  /** One attempt of create: null when the template's schema changed meanwhile. */
  private async createOnce(user: AuthUser, dto: CreateIntegrationDto): Promise<CreatedIntegrationDto | null> {
    const { template, plain, routingKey } = await this.validatedForNew(
      user,
      dto.subAccountId,
      dto.integrationTemplateId,
      dto.config,
    );
    const webhookSecret = newWebhookSecret();
    let created: IntegrationDto | undefined;
    const result = await this.repository.createWithinLimit(
      {
        subAccountId: dto.subAccountId,
        templateId: template.id,
        templateVersion: template.version,
        handler: template.handler,
        routingKey,
      },
      (id) => ({
        subAccountId: dto.subAccountId,
        templateId: template.id,
        handler: template.handler,
        name: dto.name,
        description: dto.description ?? null,
        config: this.codec.seal(template.configSchema, plain, id),
        keyId: this.box.currentKeyId,
        sealVersion: SEAL_VERSION,
        routingKey,
        webhookId: `wh_${randomBytes(16).toString('base64url')}`,
        webhookSecret: this.box.seal(webhookSecret, integrationSecretContext(id, WEBHOOK_SECRET_POINTER)),
        createdBy: user.sub,
      }),
      (tier) => this.config.planLimits[tier],
      this.audited(user, 'integration.create', (row) => {
        created = this.toDto(row);
        return { after: created };
      }),
    );
    if ('templateChanged' in result) return null;
    if ('limitReached' in result) {
      const { current, limit } = result.limitReached;
      throw new DomainException(
        ErrorCode.PLAN_LIMIT_REACHED,
        `This sub-account's plan allows ${limit} ${template.handler} integration(s); it has ${current}`,
        [{ handler: template.handler, current, limit }],
      );
    }
    if ('routingKeyTaken' in result) throw routingKeyTaken(result.routingKeyTaken);
    if ('templateGone' in result) throw DomainException.notFound('Integration template');
    return { ...(created ?? this.toDto(result.created)), webhookSecret };
  }

  async update(user: AuthUser, id: number, dto: UpdateIntegrationDto): Promise<IntegrationDto> {
    const row = await this.find(user, id);
    let before: IntegrationDto | undefined;
    return this.answer(
      await this.repository.mutate(
        row.subAccountId,
        id,
        (current) => {
          before = this.toDto(current);
          return this.updateData(current, dto);
        },
        this.audited(user, 'integration.update', (updated) => ({ before, after: this.toDto(updated) })),
      ),
    );
  }

  /**
   * Deletes the integration, and undoes at the provider what a disconnect undoes (best effort, never
   * failing the delete): the app unsubscribed from a WhatsApp Business Account no other live integration
   * uses, the OAuth grant revoked unless another live integration holds it. The row's tokens, read
   * before the delete, are what those calls are made with.
   */
  async remove(user: AuthUser, id: number): Promise<void> {
    const row = await this.find(user, id);
    const afterDelete = await this.wabaSubscriptions.beforeDisconnect(row);
    const deleted = await this.repository.delete(
      row.subAccountId,
      id,
      this.audited(user, 'integration.delete', (gone) => ({ before: this.toDto(gone) })),
    );
    if (!deleted) throw DomainException.notFound('Integration');
    await afterDelete();
    await this.oauth.revoke(row);
  }

  async rotateWebhookSecret(user: AuthUser, id: number): Promise<WebhookSecretDto> {
    const row = await this.find(user, id);
    const webhookSecret = newWebhookSecret();
    this.changed(
      await this.repository.mutate(
        row.subAccountId,
        id,
        (current) => {
          const old = this.configs.openOrNull(current, current.webhookSecret, WEBHOOK_SECRET_POINTER);
          return {
            ...this.configs.resealed(current),
            webhookSecret: this.box.seal(webhookSecret, integrationSecretContext(id, WEBHOOK_SECRET_POINTER)),
            // an old secret that no longer opens cannot verify anything: no grace for it
            previousWebhookSecret:
              old === null ? null : this.box.seal(old, integrationSecretContext(id, PREVIOUS_WEBHOOK_SECRET_POINTER)),
            previousSecretExpiresAt: old === null ? null : new Date(Date.now() + this.config.webhookSecretGraceMs),
          };
        },
        this.audited(user, 'integration.rotate-webhook-secret', () => ({
          after: { graceHours: this.config.webhookSecretGraceMs / 3600_000 },
        })),
      ),
    );
    return { webhookSecret };
  }

  async limits(user: AuthUser, subAccountId: number): Promise<LimitsDto> {
    assertCanActOn(user, subAccountId);
    const subAccount = await this.repository.findSubAccount(subAccountId);
    if (!subAccount) throw DomainException.notFound('Sub-account');
    const counts = await this.repository.countByHandler(subAccountId);
    const limit = this.config.planLimits[subAccount.tier];
    const limits: LimitsDto['limits'] = {};
    for (const handler of this.registry.list()) limits[handler.key] = { current: counts.get(handler.key) ?? 0, limit };
    return { tier: subAccount.tier, limits };
  }

  /** The audit record of a write, in the write's transaction: no change is committed without it. */
  audited(
    user: AuthUser,
    action: string,
    describe: (row: Integration) => Pick<AuditEntry, 'before' | 'after'>,
  ): AfterWrite {
    return async (row) =>
      this.audit.record(user, {
        action,
        entity: 'integration',
        entityId: row.id,
        subAccountId: row.subAccountId,
        ...describe(row),
      });
  }

  /** An update's outcome as the API answers it, with the same stats as GET (not the zeros of toDto). */
  async answer(outcome: UpdateOutcome): Promise<IntegrationDto> {
    const [dto] = await this.withStats([this.changed(outcome)]);
    return dto;
  }

  /** An update's outcome: the row as a DTO without its stats, or the error it answers. */
  changed(outcome: UpdateOutcome): IntegrationDto {
    if ('notFound' in outcome) throw DomainException.notFound('Integration');
    if ('routingKeyTaken' in outcome) throw routingKeyTaken(outcome.routingKeyTaken);
    return this.toDto(outcome.updated);
  }

  /** Computed on the locked current row (see IntegrationsRepository.mutate). */
  private updateData(current: Integration, dto: UpdateIntegrationDto): IntegrationChange {
    const data: IntegrationChange = {};
    if (dto.name !== undefined) data.name = dto.name;
    if (dto.description !== undefined) data.description = dto.description;
    if (dto.config !== undefined) Object.assign(data, this.configs.configChange(current, dto.config));
    if (dto.isActive === true && (data.status ?? current.status) !== 'active') {
      throw DomainException.conflict(
        'The integration has not passed a connection test with its current configuration; run POST /api/integrations/:id/test first',
        [{ status: data.status ?? current.status }],
      );
    }
    if (dto.isActive !== undefined) data.isActive = dto.isActive;
    if (dto.isActive === true && current.activatedAt === null) data.activatedAt = new Date();
    return data;
  }
}
