import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AuthUser } from '../../common/auth/auth-user';
import { assertCanActOn, listScope, scopeOf } from '../../common/auth/sub-account-scope';
import { SecretBox } from '../../common/crypto/secret-box';
import { DomainException } from '../../common/errors/domain.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { Page, skipTake, toPage } from '../../common/http/pagination';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import type { Prisma } from '../../generated/prisma/client';
import { HandlerRegistry } from '../../handlers/handler-registry';
import type { TestResult } from '../../handlers/handler-types';
import { AuditService } from '../audit/audit.service';
import { ConfigCodec, ConfigObject } from '../integration-templates/config-codec';
import { ConfigSchemaService } from '../integration-templates/config-schema.service';
import { IntegrationTemplatesService } from '../integration-templates/integration-templates.service';
import type { TemplateRow } from '../integration-templates/integration-templates.repository';
import {
  CreatedIntegrationDto,
  CreateIntegrationDto,
  IntegrationDto,
  LimitsDto,
  ListIntegrationsQueryDto,
  TestResultDto,
  UpdateIntegrationDto,
  WebhookSecretDto,
} from './dto/integration.dto';
import { HandlerContextFactory } from './handler-context.factory';
import { resealedRow } from './secret-rotation';
import { IntegrationRow, IntegrationsRepository } from './integrations.repository';

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
    private readonly schemas: ConfigSchemaService,
    private readonly codec: ConfigCodec,
    private readonly box: SecretBox,
    private readonly registry: HandlerRegistry,
    private readonly contexts: HandlerContextFactory,
    private readonly audit: AuditService,
  ) {}

  /** DESIGN.md: refuse to start when stored secrets were sealed with a key we do not have. */
  async onApplicationBootstrap(): Promise<void> {
    const unknown = (await this.repository.keyIdsInUse()).filter((id) => !this.box.hasKey(id));
    if (unknown.length) {
      throw new Error(
        `Stored secrets were encrypted with key id(s) ${unknown.join(', ')}, which ENCRYPTION_KEYS does not contain. ` +
          'Add the key(s) back to ENCRYPTION_KEYS (after the current one) and run `npm run secrets:rotate`.',
      );
    }
  }

  toDto(row: IntegrationRow): IntegrationDto {
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
      config: this.codec.mask(row.template.configSchema, row.config as ConfigObject),
      lastSyncAt: row.lastSyncAt?.toISOString() ?? null,
      lastSyncStatus: row.lastSyncStatus,
      lastWebhookAt: row.lastWebhookAt?.toISOString() ?? null,
      errorMessage: row.errorMessage,
      webhookUrl: `${this.config.publicBaseUrl}/api/webhooks/${row.handler}/${row.webhookId}`,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
      createdBy: row.createdBy,
    };
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
    return toPage(
      rows.map((r) => this.toDto(r)),
      total,
      query,
    );
  }

  async get(user: AuthUser, id: number): Promise<IntegrationDto> {
    return this.toDto(await this.find(user, id));
  }

  /** The integration if the caller may see it; 404 otherwise (never revealing that it exists). */
  async find(user: AuthUser, id: number): Promise<IntegrationRow> {
    const row = await this.repository.findById(scopeOf(user), id);
    if (!row) throw DomainException.notFound('Integration');
    return row;
  }

  async create(user: AuthUser, dto: CreateIntegrationDto): Promise<CreatedIntegrationDto> {
    assertCanActOn(user, dto.subAccountId);
    if (!(await this.repository.findSubAccount(dto.subAccountId))) throw DomainException.notFound('Sub-account');
    const template = await this.templates.require(dto.integrationTemplateId).catch(() => null);
    if (!template || !template.isActive) throw DomainException.notFound('Integration template');
    const plain = this.validated(template, dto.config);
    const webhookSecret = newWebhookSecret();
    const result = await this.repository.createWithinLimit(
      {
        subAccountId: dto.subAccountId,
        templateId: template.id,
        handler: template.handler,
        name: dto.name,
        description: dto.description ?? null,
        config: this.codec.seal(template.configSchema, plain) as Prisma.InputJsonObject,
        keyId: this.box.currentKeyId,
        routingKey: this.routingKey(template.handler, plain),
        webhookId: `wh_${randomBytes(16).toString('base64url')}`,
        webhookSecret: this.box.seal(webhookSecret),
        createdBy: user.sub,
      },
      (tier) => this.config.planLimits[tier],
    );
    if ('limitReached' in result) {
      const { current, limit } = result.limitReached;
      throw new DomainException(
        ErrorCode.PLAN_LIMIT_REACHED,
        `This sub-account's plan allows ${limit} ${template.handler} integration(s); it has ${current}`,
        [{ handler: template.handler, current, limit }],
      );
    }
    const dtoOut = this.toDto(result.created);
    await this.audit.record(user, {
      action: 'integration.create',
      entity: 'integration',
      entityId: dtoOut.id,
      subAccountId: dto.subAccountId,
      after: dtoOut,
    });
    return { ...dtoOut, webhookSecret };
  }

  async update(user: AuthUser, id: number, dto: UpdateIntegrationDto): Promise<IntegrationDto> {
    const row = await this.find(user, id);
    const data: Prisma.IntegrationUncheckedUpdateInput = {};
    if (dto.name !== undefined) data.name = dto.name;
    if (dto.description !== undefined) data.description = dto.description;
    if (dto.isActive !== undefined) data.isActive = dto.isActive;
    if (dto.config !== undefined) {
      const merged = this.codec.merge(row.template.configSchema, row.config as ConfigObject, dto.config);
      const plain = this.validated(row.template, merged);
      Object.assign(data, resealedRow(row, this.codec, this.box));
      data.config = this.codec.seal(row.template.configSchema, plain) as Prisma.InputJsonObject;
      data.routingKey = this.routingKey(row.handler, plain);
      // new credentials have not been tested yet
      if (row.status === 'active' || row.status === 'error') data.status = 'pending';
      data.errorMessage = null;
    }
    const updated = await this.repository.update(row.subAccountId, id, data);
    const result = this.toDto(updated);
    await this.audit.record(user, {
      action: 'integration.update',
      entity: 'integration',
      entityId: id,
      subAccountId: row.subAccountId,
      before: this.toDto(row),
      after: result,
    });
    return result;
  }

  async remove(user: AuthUser, id: number): Promise<void> {
    const row = await this.find(user, id);
    await this.repository.delete(row.subAccountId, id);
    await this.audit.record(user, {
      action: 'integration.delete',
      entity: 'integration',
      entityId: id,
      subAccountId: row.subAccountId,
      before: this.toDto(row),
    });
  }

  async test(user: AuthUser, id: number): Promise<TestResultDto> {
    const row = await this.find(user, id);
    const { handler, ctx } = this.contexts.build(row);
    let result: TestResult;
    try {
      result = await handler.testConnection(ctx);
    } catch (err) {
      this.logger.warn({ integrationId: id, err }, 'connection test threw');
      result = {
        success: false,
        code: 'CONNECTION_FAILED',
        message: 'The connection test could not reach the provider',
      };
    }
    await this.repository.update(row.subAccountId, id, {
      status: result.success ? 'active' : 'error',
      errorMessage: result.success ? null : result.message,
      // the first successful test puts a new integration live; later tests leave the admin's switch alone
      ...(result.success && row.status === 'pending' && !row.isActive ? { isActive: true } : {}),
    });
    await this.audit.record(user, {
      action: 'integration.test',
      entity: 'integration',
      entityId: id,
      subAccountId: row.subAccountId,
      after: result,
    });
    if (result.success)
      return { success: true, message: result.message, ...(result.details ? { details: result.details } : {}) };
    const code = result.code === 'INVALID_CREDENTIALS' ? ErrorCode.INVALID_CREDENTIALS : ErrorCode.CONNECTION_FAILED;
    throw new DomainException(code, result.message, result.details, undefined, { success: false });
  }

  async rotateWebhookSecret(user: AuthUser, id: number): Promise<WebhookSecretDto> {
    const row = await this.find(user, id);
    const webhookSecret = newWebhookSecret();
    // every sealed value of a row shares one key (row.keyId), so the whole row moves to the current key
    await this.repository.update(row.subAccountId, id, {
      ...resealedRow(row, this.codec, this.box),
      webhookSecret: this.box.seal(webhookSecret),
      previousWebhookSecret: this.box.seal(this.box.open(row.webhookSecret)),
      previousSecretExpiresAt: new Date(Date.now() + this.config.webhookSecretGraceMs),
    });
    await this.audit.record(user, {
      action: 'integration.rotate-webhook-secret',
      entity: 'integration',
      entityId: id,
      subAccountId: row.subAccountId,
      after: { graceHours: this.config.webhookSecretGraceMs / 3600_000 },
    });
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

  /** Schema errors (Ajv) then the handler's own checks, each with the JSON pointer of the field. */
  private validated(template: TemplateRow, config: ConfigObject): ConfigObject {
    const problems = this.schemas.validate(template, config);
    if (problems.length === 0) problems.push(...(this.registry.get(template.handler)?.validateConfig?.(config) ?? []));
    if (problems.length) {
      throw new DomainException(
        ErrorCode.CONFIG_SCHEMA_INVALID,
        `config does not match the template's schema: ${problems.map((p) => `${p.pointer} ${p.message}`).join('; ')}`,
        problems,
      );
    }
    return config;
  }

  private routingKey(handlerKey: string, config: ConfigObject): string | null {
    return this.registry.get(handlerKey)?.webhook?.routingKeyOf?.(config) ?? null;
  }
}
