import { Injectable } from '@nestjs/common';
import { integrationSecretContext, SecretBox } from '../../common/crypto/secret-box';
import { ConfigSchemaService } from './config-schema.service';

export type ConfigObject = Record<string, unknown>;

/** What a secret looks like in a response: never the value, only its last four characters. */
export interface MaskedSecret {
  secret: true;
  last4: string;
}

/** Where a config's sealed values belong: the integration row, and whether it still holds legacy (v1) values. */
export interface SealScope {
  integrationId: number;
  /** The row has not been re-sealed since values became bound to their place (seal_version 1). */
  legacy: boolean;
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

/** The value at a property path of a config, or undefined when an object on the way is missing. */
export function valueAt(root: ConfigObject, path: readonly string[]): unknown {
  return parentOf(root, path)?.[path[path.length - 1]];
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

/** The JSON pointer of a config field inside the integration row (RFC 6901 escaping). */
export function configPointer(path: readonly string[]): string {
  return `/config${path.map((p) => `/${p.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('')}`;
}

/**
 * Integration configs at rest: the properties a template's schema marks secret are sealed
 * (AES-256-GCM, see SecretBox) for their integration and field; everything else is stored as given.
 * Whatever a client sends is plaintext: a string that looks sealed is sealed like any other.
 */
@Injectable()
export class ConfigCodec {
  constructor(
    private readonly box: SecretBox,
    private readonly schemas: ConfigSchemaService,
  ) {}

  /** Plain config → stored config (every secret sealed with the current key for this integration). */
  seal(schema: unknown, plain: ConfigObject, integrationId: number): ConfigObject {
    return this.mapSecrets(schema, plain, (value, path) =>
      typeof value === 'string'
        ? this.box.seal(value, integrationSecretContext(integrationId, configPointer(path)))
        : value,
    );
  }

  /** Stored config → plain config, for validation and handlers. Throws when a secret does not open here. */
  open(schema: unknown, stored: ConfigObject, scope: SealScope): ConfigObject {
    return this.mapSecrets(schema, stored, (value, path) => this.openValue(value, path, scope));
  }

  /** Like open, but a secret that does not open is left out and its pointer reported instead of throwing. */
  openReadable(
    schema: unknown,
    stored: ConfigObject,
    scope: SealScope,
  ): { config: ConfigObject; unreadable: string[] } {
    const unreadable: string[] = [];
    const config = this.mapSecrets(schema, stored, (value, path) => {
      try {
        return this.openValue(value, path, scope);
      } catch {
        unreadable.push(configPointer(path));
        return undefined;
      }
    });
    return { config: stripUndefined(config), unreadable };
  }

  /** The string values of a plain config's secrets (for redaction wherever a provider might echo one). */
  secretValues(schema: unknown, plain: ConfigObject): string[] {
    const values: string[] = [];
    for (const path of this.schemas.secretPaths(schema)) {
      const value = valueAt(plain, path);
      if (typeof value === 'string') values.push(value);
    }
    return values;
  }

  /** Stored config → response config: every secret replaced by { secret: true, last4 }. Never throws. */
  mask(schema: unknown, stored: ConfigObject, scope: SealScope): ConfigObject {
    return this.mapSecrets(schema, stored, (value, path): MaskedSecret => {
      let plain = '';
      try {
        plain = this.openValue(value, path, scope);
      } catch {
        // unreadable (moved, tampered, unknown key): shown as a secret with nothing of it
      }
      return { secret: true, last4: plain.length >= 8 ? plain.slice(-4) : '' };
    });
  }

  /**
   * PATCH semantics: the patch is merged over the stored config; a secret the patch leaves out, or
   * sends back masked, keeps its stored value (one that no longer opens must be sent again). A field
   * sent as null is removed (as JSON Merge Patch, RFC 7396, reads null), so an optional field once set
   * can be unset; the merge stays one level deep (a nested object sent replaces the stored one).
   * Returns the plain merged config.
   */
  merge(schema: unknown, stored: ConfigObject, patch: ConfigObject, scope: SealScope): ConfigObject {
    const current = this.openReadable(schema, stored, scope).config;
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
    for (const [key, value] of Object.entries(patch)) if (value === null) delete merged[key];
    return merged;
  }

  private openValue(value: unknown, path: readonly string[], scope: SealScope): string {
    if (typeof value !== 'string') throw new Error('a secret field holds no sealed value');
    return this.box.open(value, integrationSecretContext(scope.integrationId, configPointer(path)), scope.legacy);
  }

  private mapSecrets(
    schema: unknown,
    config: ConfigObject,
    fn: (value: unknown, path: readonly string[]) => unknown,
  ): ConfigObject {
    const out = clone(config);
    for (const path of this.schemas.secretPaths(schema)) {
      const parent = parentOf(out, path);
      const key = path[path.length - 1];
      if (parent && parent[key] !== undefined && parent[key] !== null) parent[key] = fn(parent[key], path);
    }
    return out;
  }
}

function stripUndefined(value: ConfigObject): ConfigObject {
  const out: ConfigObject = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    out[k] = isObject(v) ? stripUndefined(v) : v;
  }
  return out;
}
