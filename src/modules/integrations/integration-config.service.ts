import { Inject, Injectable } from '@nestjs/common';
import { isDeepStrictEqual } from 'node:util';
import { integrationSecretContext, SecretBox } from '../../common/crypto/secret-box';
import { DomainException } from '../../common/errors/domain.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { HandlerRegistry } from '../../handlers/handler-registry';
import type { ConfigProblem } from '../../handlers/handler-types';
import { ConfigCodec, ConfigObject, SealScope, valueAt } from '../integration-templates/config-codec';
import { ConfigSchemaService, misplacedSecretMarks } from '../integration-templates/config-schema.service';
import type { TemplateRow } from '../integration-templates/integration-templates.repository';
import type { Integration, IntegrationChange } from './integration';
import { previousSecretPointer } from './sealed-fields';
import { resealedColumns, SEAL_VERSION } from './secret-rotation';

export function sealScope(row: Pick<Integration, 'id' | 'sealVersion'>): SealScope {
  return { integrationId: row.id, legacy: row.sealVersion < SEAL_VERSION };
}

function isConfigObject(value: unknown): value is ConfigObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function routingKeyTaken(key: string): DomainException {
  return new DomainException(
    ErrorCode.ROUTING_KEY_TAKEN,
    'This page, phone number, location or organisation is already connected in another sub-account',
    [{ routingKey: key }],
  );
}

/**
 * An integration's configuration as it is written: validated against its template (and refused
 * when the template would store a secret in plaintext), its routing key, its sealed values.
 */
@Injectable()
export class IntegrationConfigService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly schemas: ConfigSchemaService,
    private readonly codec: ConfigCodec,
    private readonly box: SecretBox,
    private readonly registry: HandlerRegistry,
  ) {}

  /**
   * A config change: validated, re-sealed, and back to pending until a connection test passes again.
   * A patch that sets the handler's OAuth token field (a pasted token) ends the OAuth connection: its
   * tokens are erased (not revoked: the grant may serve other integrations) and the pasted one is used.
   */
  configChange(current: Integration, patch: ConfigObject): IntegrationChange {
    const schema = current.template.configSchema;
    const scope = sealScope(current);
    const plain = this.validated(
      current.template,
      this.codec.merge(schema, current.config as ConfigObject, patch, scope),
    );
    const before = this.codec.openReadable(schema, current.config as ConfigObject, scope).config;
    // a config stored before its template's defaults were filled differs from `plain` by them alone:
    // that is no change (and must not send the integration back to pending)
    const unchanged =
      isDeepStrictEqual(plain, before) || isDeepStrictEqual(plain, this.schemas.withDefaults(current.template, before));
    // a token pasted over an OAuth connection replaces it: the connection's tokens would otherwise win
    const tokenField = this.registry.get(current.handler)?.oauth?.tokenField;
    const pastedOverOAuth =
      tokenField !== undefined &&
      typeof patch[tokenField] === 'string' &&
      (current.oauthTokens !== null || current.oauthProvider !== null);
    const dropOAuth: IntegrationChange = pastedOverOAuth
      ? { oauthProvider: null, oauthTokens: null, oauthExpiresAt: null, oauthRefreshedAt: null, oauthGrantKey: null }
      : {};
    if (unchanged) return pastedOverOAuth ? { ...dropOAuth, status: 'pending', errorMessage: null } : {};
    const data: IntegrationChange = {
      ...dropOAuth,
      ...this.resealed(current),
      config: this.codec.seal(schema, plain, current.id),
      routingKey: this.routingKey(current.handler, plain),
      status: 'pending',
      errorMessage: null,
    };
    // a replaced verification secret (Meta appSecret …) keeps verifying for the grace period
    const previous: Record<string, string> = {};
    for (const field of this.registry.get(current.handler)?.webhook?.verificationFields ?? []) {
      const old = before[field];
      if (typeof old === 'string' && old !== plain[field])
        previous[field] = this.box.seal(old, integrationSecretContext(current.id, previousSecretPointer(field)));
    }
    if (Object.keys(previous).length > 0) {
      data.previousConfigSecrets = previous;
      data.previousConfigSecretsExpireAt = new Date(Date.now() + this.config.webhookSecretGraceMs);
    }
    return data;
  }

  /** A row's sealed columns outside its config moved to the current key when they are not on it yet. */
  resealed(row: Integration): IntegrationChange {
    if (row.keyId === this.box.currentKeyId && row.sealVersion >= SEAL_VERSION) return {};
    try {
      return resealedColumns(row, this.box);
    } catch {
      throw DomainException.conflict(
        'A stored secret of this integration cannot be decrypted; delete the integration and create it again',
      );
    }
  }

  openOrNull(row: Integration, sealed: string, pointer: string): string | null {
    try {
      return this.box.open(sealed, integrationSecretContext(row.id, pointer), row.sealVersion < SEAL_VERSION);
    } catch {
      return null;
    }
  }

  /**
   * Schema errors (Ajv) then the handler's own checks, each with the JSON pointer of the field.
   * `oauth: 'may-fill'` (a stored integration) lets a credential marked "x-oauth" be missing: a
   * connect flow fills it later; an unsaved config under test has nothing to fill it with.
   */
  validated(template: TemplateRow, config: ConfigObject, oauth: 'may-fill' | 'none' = 'may-fill'): ConfigObject {
    // a template stored before secrets were checked everywhere must not store one in plaintext
    const misplaced = misplacedSecretMarks(template.configSchema);
    if (misplaced.length) {
      throw new DomainException(
        ErrorCode.CONFIG_SCHEMA_INVALID,
        `The template marks a secret where it cannot be encrypted (${misplaced.join(', ')}); fix the template`,
        misplaced.map((pointer) => ({ pointer, message: 'secret marked outside "properties"' })),
      );
    }
    // the schema's defaults fill what the admin left out (a copy: the caller's object stays as sent)
    const filled = this.schemas.withDefaults(template, config);
    const problems = this.schemas.validate(template, filled, oauth === 'may-fill');
    if (problems.length === 0) problems.push(...this.undeclaredSecrets(template, filled));
    if (problems.length === 0) problems.push(...(this.registry.get(template.handler)?.validateConfig?.(filled) ?? []));
    if (problems.length) {
      throw new DomainException(
        ErrorCode.CONFIG_SCHEMA_INVALID,
        `config does not match the template's schema: ${problems.map((p) => `${p.pointer} ${p.message}`).join('; ')}`,
        problems,
      );
    }
    return filled;
  }

  /**
   * A value at one of its handler's secret fields (Meta's appSecret, a page token, a generic webhook's
   * signing secret) that the template does not mark secret: a loose template (`{ "type": "object" }`,
   * or one that leaves the field out and accepts extra properties) would store it in plaintext and
   * show it in every answer. Refused with the field named; a template that declares the field without
   * the mark is refused when it is written (integration-templates.service), one written before that
   * check is caught here. An integration that already stores such a value is told to remove it (null).
   */
  private undeclaredSecrets(template: TemplateRow, config: ConfigObject): ConfigProblem[] {
    return this.undeclaredSecretPaths(template)
      .filter((path) => (valueAt(config, path) ?? null) !== null)
      .map((path) => ({
        pointer: `/${path.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`,
        message: `is a secret of the ${template.handler} handler, but this template does not mark it secret ("x-secret"), so it would be stored in plaintext: ask a super-admin to mark it in the template (or send null to remove a stored value)`,
      }));
  }

  /**
   * A stored config as answers show it: the template's secrets masked (ConfigCodec.mask), and a value
   * stored before undeclared handler secrets were refused (in plaintext, at a field the template does
   * not mark) masked too, with nothing of it shown.
   */
  masked(row: Integration): ConfigObject {
    const config = this.codec.mask(row.template.configSchema, row.config as ConfigObject, sealScope(row));
    for (const path of this.undeclaredSecretPaths(row.template)) {
      const holder = path.length > 1 ? valueAt(config, path.slice(0, -1)) : config;
      const key = path[path.length - 1];
      if (isConfigObject(holder) && holder[key] !== undefined && holder[key] !== null)
        holder[key] = { secret: true, last4: '' };
    }
    return config;
  }

  /** Fields its handler's default schema marks secret that the template's schema does not. */
  private undeclaredSecretPaths(template: Pick<TemplateRow, 'handler' | 'configSchema'>): string[][] {
    const defaults = this.registry.get(template.handler)?.defaultConfigSchema;
    if (!defaults) return [];
    const marked = new Set(this.schemas.secretPaths(template.configSchema).map((path) => JSON.stringify(path)));
    return this.schemas.secretPaths(defaults).filter((path) => !marked.has(JSON.stringify(path)));
  }

  routingKey(handlerKey: string, config: ConfigObject): string | null {
    const key = this.registry.get(handlerKey)?.webhook?.routingKeyOf?.(config) ?? null;
    // no page, number, location or organisation id is this long; the claim's index could not hold it
    if (key !== null && key.length > 256) {
      throw new DomainException(ErrorCode.CONFIG_SCHEMA_INVALID, 'The routing key is too long', [
        { pointer: '/', message: 'routing key longer than 256 characters' },
      ]);
    }
    // nor "." or "..": in a provider's URL ("/locations/..") it is a dot-segment, and the call with the
    // integration's token reaches another resource (GoHighLevel's API root), which a test took for the location
    if (key === '.' || key === '..')
      throw notAnId(config, key, 'must be the id of the page, phone number, location or organisation, not "." or ".."');
    // nor an id pasted with a space or a line break around it: deliveries name the id alone, so it was claimed
    // beside the real one (no 409 for another sub-account's location), and its test blamed the token
    if (key !== null && key !== key.trim())
      throw notAnId(config, key, 'must be the id alone, without spaces or line breaks before or after it');
    return key;
  }
}

/** A routing key that cannot be the id of a page, number, location or organisation, at its config field. */
function notAnId(config: ConfigObject, key: string, message: string): DomainException {
  const field = Object.keys(config).find((name) => config[name] === key);
  return new DomainException(ErrorCode.CONFIG_SCHEMA_INVALID, `The routing key ${JSON.stringify(key)} is no id`, [
    { pointer: field === undefined ? '/' : `/${field.replace(/~/g, '~0').replace(/\//g, '~1')}`, message },
  ]);
}
