import { Injectable } from '@nestjs/common';
import { SecretBox } from '../../common/crypto/secret-box';
import { ConfigSchemaService } from './config-schema.service';

export type ConfigObject = Record<string, unknown>;

/** What a secret looks like in a response: never the value, only its last four characters. */
export interface MaskedSecret {
  secret: true;
  last4: string;
}

function isObject(value: unknown): value is ConfigObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isMasked(value: unknown): value is MaskedSecret {
  return isObject(value) && value.secret === true;
}

function clone(value: ConfigObject): ConfigObject {
  return structuredClone(value);
}

/** Walks to the parent object of a path; creates nothing. */
function parentOf(root: ConfigObject, path: readonly string[]): ConfigObject | undefined {
  let current: unknown = root;
  for (const name of path.slice(0, -1)) {
    if (!isObject(current)) return undefined;
    current = current[name];
  }
  return isObject(current) ? current : undefined;
}

/**
 * Integration configs at rest: the properties a template's schema marks secret are sealed
 * (AES-256-GCM, see SecretBox); everything else is stored as given.
 */
@Injectable()
export class ConfigCodec {
  constructor(
    private readonly box: SecretBox,
    private readonly schemas: ConfigSchemaService,
  ) {}

  /** Plain config → stored config (secrets sealed with the current key). */
  seal(schema: unknown, plain: ConfigObject): ConfigObject {
    return this.mapSecrets(schema, plain, (value) =>
      typeof value === 'string' && !SecretBox.isSealed(value) ? this.box.seal(value) : value,
    );
  }

  /** Stored config → plain config, for validation and handlers. */
  open(schema: unknown, stored: ConfigObject): ConfigObject {
    return this.mapSecrets(schema, stored, (value) => (SecretBox.isSealed(value) ? this.box.open(value) : value));
  }

  /** Stored config → response config: every secret replaced by { secret: true, last4 }. */
  mask(schema: unknown, stored: ConfigObject): ConfigObject {
    return this.mapSecrets(schema, stored, (value): MaskedSecret => {
      const plain = SecretBox.isSealed(value) ? this.box.open(value) : String(value);
      return { secret: true, last4: plain.length >= 8 ? plain.slice(-4) : '' };
    });
  }

  /**
   * PATCH semantics: the patch is merged over the stored config; a secret the patch leaves out, or
   * sends back masked, keeps its stored value. Returns the plain merged config.
   */
  merge(schema: unknown, stored: ConfigObject, patch: ConfigObject): ConfigObject {
    const current = this.open(schema, stored);
    const merged = { ...current, ...clone(patch) };
    for (const path of this.schemas.secretPaths(schema)) {
      const patchParent = parentOf(patch, path);
      const key = path[path.length - 1];
      const sent = patchParent ? patchParent[key] : undefined;
      if (sent === undefined || isMasked(sent)) {
        const fromStored = parentOf(current, path)?.[key];
        const target = parentOf(merged, path);
        if (target && fromStored !== undefined) target[key] = fromStored;
        else if (target) delete target[key];
      }
    }
    return merged;
  }

  /** Key ids used by the sealed values of a stored config. */
  keyIds(schema: unknown, stored: ConfigObject): string[] {
    const ids = new Set<string>();
    this.mapSecrets(schema, stored, (value) => {
      const id = SecretBox.isSealed(value) ? SecretBox.keyIdOf(value) : undefined;
      if (id) ids.add(id);
      return value;
    });
    return [...ids];
  }

  private mapSecrets(schema: unknown, config: ConfigObject, fn: (value: unknown) => unknown): ConfigObject {
    const out = clone(config);
    for (const path of this.schemas.secretPaths(schema)) {
      const parent = parentOf(out, path);
      const key = path[path.length - 1];
      if (parent && parent[key] !== undefined && parent[key] !== null) parent[key] = fn(parent[key]);
    }
    return out;
  }
}
