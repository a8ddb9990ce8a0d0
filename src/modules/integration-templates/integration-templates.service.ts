import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { AuthUser } from '../../common/auth/auth-user';
import { DomainException } from '../../common/errors/domain.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { Page, skipTake, toPage } from '../../common/http/pagination';
import { TransactionRunner } from '../../database/transaction-runner';
import { HandlerRegistry } from '../../handlers/handler-registry';
import { isRecord } from '../../handlers/shared/json';
import { AuditService } from '../audit/audit.service';
import { ConfigCodec, valueAt } from './config-codec';
import { ConfigSchemaService } from './config-schema.service';
import {
  CreateTemplateDto,
  HandlerInfoDto,
  ListTemplatesQueryDto,
  TemplateDto,
  UpdatedTemplateDto,
  UpdateTemplateDto,
} from './dto/template.dto';
import { IntegrationTemplatesRepository, NAME_TAKEN, TemplateRow } from './integration-templates.repository';

export function toTemplateDto(row: TemplateRow): TemplateDto {
  return {
    id: row.id,
    name: row.name,
    displayName: row.displayName,
    description: row.description,
    category: row.category,
    icon: row.icon,
    handler: row.handler,
    configSchema: row.configSchema,
    setupInstructions: row.setupInstructions,
    apiVersion: row.apiVersion,
    isActive: row.isActive,
    rateLimitPerMinute: row.rateLimitPerMinute,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

@Injectable()
export class IntegrationTemplatesService implements OnApplicationBootstrap {
  constructor(
    private readonly repository: IntegrationTemplatesRepository,
    private readonly registry: HandlerRegistry,
    private readonly schemas: ConfigSchemaService,
    private readonly codec: ConfigCodec,
    private readonly audit: AuditService,
    private readonly transactions: TransactionRunner,
  ) {}

  /** DESIGN.md: the application refuses to boot with a template whose handler is not registered. */
  async onApplicationBootstrap(): Promise<void> {
    const missing = (await this.repository.distinctHandlers()).filter((h) => !this.registry.has(h));
    if (missing.length) throw new Error(`Templates use handlers that are not registered: ${missing.join(', ')}`);
  }

  handlers(): HandlerInfoDto[] {
    return this.registry.list().map((h) => ({
      key: h.key,
      displayName: h.displayName,
      category: h.category,
      capabilities: [...h.capabilities],
      defaultConfigSchema: h.defaultConfigSchema,
    }));
  }

  async list(user: AuthUser, query: ListTemplatesQueryDto): Promise<Page<TemplateDto>> {
    const activeOnly = !(user.role === 'SUPER_ADMIN' && query.includeInactive);
    const { rows, total } = await this.repository.list({ category: query.category, activeOnly }, skipTake(query));
    return toPage(rows.map(toTemplateDto), total, query);
  }

  async get(user: AuthUser, id: number): Promise<TemplateDto> {
    const row = await this.repository.findById(id);
    if (!row || (!row.isActive && user.role !== 'SUPER_ADMIN')) throw DomainException.notFound('Integration template');
    return toTemplateDto(row);
  }

  /** For other services: the row, or 404. */
  async require(id: number): Promise<TemplateRow> {
    const row = await this.repository.findById(id);
    if (!row) throw DomainException.notFound('Integration template');
    return row;
  }

  async create(user: AuthUser, dto: CreateTemplateDto): Promise<TemplateDto> {
    this.assertHandler(dto.handler);
    this.assertSchema(dto.configSchema, dto.handler);
    const row = await this.repository.create(dto);
    if (row === NAME_TAKEN) throw this.nameTaken(dto.name);
    const result = toTemplateDto(row);
    await this.audit.record(user, {
      action: 'template.create',
      entity: 'integration-template',
      entityId: row.id,
      after: result,
    });
    return result;
  }

  async update(user: AuthUser, id: number, dto: UpdateTemplateDto): Promise<UpdatedTemplateDto> {
    // decided on the locked row: an integration being created from the template (it holds the row until
    // it commits) is counted and checked, one created after the change validates against the new schema
    return this.transactions.run(async () => {
      if (!(await this.repository.lock(id))) throw DomainException.notFound('Integration template');
      const before = await this.require(id);
      if (dto.handler !== undefined && dto.handler !== before.handler) {
        this.assertHandler(dto.handler);
        if ((await this.repository.countIntegrations(id)) > 0) {
          throw DomainException.conflict(
            'The handler of a template in use cannot change; create a new template instead',
          );
        }
      }
      const schemaChanged =
        dto.configSchema !== undefined && JSON.stringify(dto.configSchema) !== JSON.stringify(before.configSchema);
      if (dto.configSchema !== undefined || dto.handler !== undefined)
        this.assertSchema(dto.configSchema ?? before.configSchema, dto.handler ?? before.handler);
      if (schemaChanged) await this.assertSecretsUnchangedInUse(before, dto.configSchema);
      const row = await this.repository.update(id, dto, schemaChanged);
      if (row === null) throw DomainException.notFound('Integration template');
      if (row === NAME_TAKEN) throw this.nameTaken(dto.name ?? before.name);
      const nonConforming = schemaChanged ? await this.nonConforming(before, row) : [];
      const result = { ...toTemplateDto(row), nonConforming };
      await this.audit.record(user, {
        action: 'template.update',
        entity: 'integration-template',
        entityId: id,
        before: toTemplateDto(before),
        after: result,
      });
      return result;
    });
  }

  async remove(user: AuthUser, id: number): Promise<void> {
    const before = await this.require(id);
    // decided on the locked row: an integration created meanwhile is counted, a second DELETE finds nothing
    await this.transactions.run(async () => {
      if (!(await this.repository.lock(id))) throw DomainException.notFound('Integration template');
      const inUse = await this.repository.countIntegrations(id);
      if (inUse > 0) {
        throw DomainException.conflict(
          `The template is used by ${inUse} integration(s); deactivate it with isActive: false instead`,
          [{ integrations: inUse }],
        );
      }
      await this.repository.delete(id);
    });
    await this.audit.record(user, {
      action: 'template.delete',
      entity: 'integration-template',
      entityId: id,
      before: toTemplateDto(before),
    });
  }

  /**
   * A field that becomes secret, stops being secret or goes away while secret would leave the values
   * integrations hold there stored the wrong way: plaintext where the codec now expects a sealed
   * value (and a later PATCH drops it), or sealed text shown as the value, or sealed text nothing
   * opens again. Refused (409) while an integration of the template holds a value at such a field;
   * free to change otherwise. Checked before the write.
   */
  private async assertSecretsUnchangedInUse(before: TemplateRow, nextSchema: unknown): Promise<void> {
    const key = (path: readonly string[]): string => JSON.stringify(path);
    const was = new Map(this.schemas.secretPaths(before.configSchema).map((p) => [key(p), p]));
    const will = new Map(this.schemas.secretPaths(nextSchema).map((p) => [key(p), p]));
    const changed = [...was.entries(), ...will.entries()]
      .filter(([k]) => was.has(k) !== will.has(k))
      .map(([, path]) => path);
    if (changed.length === 0) return;
    const configs = await this.repository.integrationConfigs(before.id);
    const held = changed
      .map((path) => ({
        pointer: `/${path.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`,
        integrations: configs.filter((c) => (valueAt(c.config, path) ?? null) !== null).map((c) => c.id),
        secret: will.has(key(path)),
      }))
      .filter((h) => h.integrations.length > 0);
    if (held.length === 0) return;
    throw DomainException.conflict(
      `The schema changes which fields are secret (${held.map((h) => h.pointer).join(', ')}) while integrations of the template hold values there; remove those values first, or create a new template`,
      held.map((h) => ({
        pointer: h.pointer,
        change: h.secret ? 'becomes secret' : 'is no longer secret',
        integrations: h.integrations,
      })),
    );
  }

  /** Integrations of the template whose config does not conform to its new schema (opened with the old one). */
  private async nonConforming(before: TemplateRow, after: TemplateRow): Promise<number[]> {
    const rows = await this.repository.integrationConfigs(after.id);
    return rows
      .filter((r) => {
        // secrets that no longer open are left out: re-validation is about the schema, not them
        const plain = this.codec.openReadable(before.configSchema, r.config, {
          integrationId: r.id,
          legacy: r.sealVersion < 2,
        }).config;
        return this.schemas.validate(after, plain, true).length > 0;
      })
      .map((r) => r.id);
  }

  private assertHandler(handler: string): void {
    if (!this.registry.has(handler)) {
      throw DomainException.validation(`Unknown handler "${handler}"`, [
        {
          field: 'handler',
          messages: [
            `must be one of ${this.registry
              .list()
              .map((h) => h.key)
              .join(', ')}`,
          ],
        },
      ]);
    }
  }

  private assertSchema(schema: unknown, handler: string): void {
    const problems = this.schemas.check(schema);
    if (problems.length === 0) problems.push(...this.unmarkedHandlerSecrets(schema, handler));
    if (problems.length === 0) problems.push(...this.refusedPinnedValues(schema, handler));
    if (problems.length)
      throw new DomainException(ErrorCode.CONFIG_SCHEMA_INVALID, `configSchema is invalid: ${problems[0]}`, problems);
  }

  /**
   * A field its handler reads as a secret (its default schema marks it: Meta's appSecret, a page or
   * access token) must be marked secret where the template declares it: unmarked, the value an admin
   * enters would be stored in plaintext and shown in every answer about the integration.
   */
  private unmarkedHandlerSecrets(schema: unknown, handler: string): string[] {
    const defaults = this.registry.get(handler)?.defaultConfigSchema;
    if (!defaults) return [];
    return this.schemas
      .unmarkedSecrets(schema, this.schemas.secretPaths(defaults))
      .map((pointer) => `${pointer} is a secret of the ${handler} handler: mark it "x-secret": true`);
  }

  /**
   * A top-level property the schema pins with "const" (a Typeform template pins its signature
   * scheme, its id pointer, even a mapping) is what every integration will send: a value its handler
   * refuses (a pointer without its leading "/", a malformed array selector) would make every
   * integration of the template fail with 400, so it is refused here, once, with the field named.
   */
  private refusedPinnedValues(schema: unknown, handler: string): string[] {
    const validateConfig = this.registry.get(handler)?.validateConfig?.bind(this.registry.get(handler));
    const properties = isRecord(schema) && isRecord(schema.properties) ? schema.properties : {};
    const pinned = Object.entries(properties).filter(([, prop]) => isRecord(prop) && 'const' in prop);
    if (!validateConfig || pinned.length === 0) return [];
    const config = Object.fromEntries(pinned.map(([name, prop]) => [name, (prop as { const: unknown }).const]));
    const token = (name: string) => `/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    let problems: ReturnType<typeof validateConfig>;
    try {
      problems = validateConfig(config);
    } catch {
      return []; // a handler that cannot judge a partial config refuses nothing here; the integration's config is checked whole
    }
    return problems.flatMap((p) => {
      const [name] = pinned.find(([n]) => p.pointer === token(n) || p.pointer.startsWith(`${token(n)}/`)) ?? [];
      return name === undefined
        ? []
        : [`the "const" of /properties${token(name)} is refused by the ${handler} handler: ${p.pointer} ${p.message}`];
    });
  }

  private nameTaken(name: string): DomainException {
    return DomainException.conflict(`A template named "${name}" already exists`);
  }
}
