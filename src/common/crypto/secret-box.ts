import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EncryptionKey } from '../../config/app-config';

/** Sealed values bound to where they are stored (AAD = key id + context); the only format written. */
const V2 = 'enc:v2';
/** The first format: bound to the key id only. Read for rows not re-sealed yet (`npm run secrets:rotate`). */
const V1 = 'enc:v1';

export class UnknownKeyError extends Error {}

/** A sealed value that cannot be opened here: wrong place (moved or planted), tampered, or not sealed at all. */
export class UnreadableSecretError extends Error {}

function parts(sealed: string): { version: string; keyId: string; iv: string; tag: string; body: string } | null {
  const p = sealed.split(':');
  if (p.length !== 6) return null;
  const version = `${p[0]}:${p[1]}`;
  if (version !== V1 && version !== V2) return null;
  return { version, keyId: p[2], iv: p[3], tag: p[4], body: p[5] };
}

/**
 * Encrypts and decrypts secrets with the configured keys: AES-256-GCM, a random 96-bit IV per value,
 * tagged with the id of the key that sealed it. The first key encrypts; every key decrypts, so keys
 * can rotate (`npm run secrets:rotate` re-seals with the first one).
 *
 * Every value is sealed for a context (for integrations: its id and the field's JSON pointer) that is
 * authenticated with it, so a sealed value copied to another row or field does not open.
 */
export class SecretBox {
  private readonly byId: ReadonlyMap<string, Buffer>;

  constructor(private readonly keys: readonly EncryptionKey[]) {
    if (keys.length === 0) throw new Error('no encryption key configured');
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  get currentKeyId(): string {
    return this.keys[0].id;
  }

  hasKey(id: string): boolean {
    return this.byId.has(id);
  }

  seal(plaintext: string, context: string): string {
    const { id, key } = this.keys[0];
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(aad(id, context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [V2, id, iv.toString('base64'), cipher.getAuthTag().toString('base64'), ciphertext.toString('base64')].join(
      ':',
    );
  }

  /**
   * Opens a value sealed for `context`. A legacy (v1) value opens only when `legacy` says its row has
   * not been re-sealed yet; anywhere else it is refused like any value that does not belong there.
   */
  open(sealed: string, context: string, legacy = false): string {
    const p = parts(sealed);
    if (!p) throw new UnreadableSecretError('not a sealed secret');
    if (p.version === V1 && !legacy) throw new UnreadableSecretError('a legacy sealed value in a re-sealed row');
    const key = this.byId.get(p.keyId);
    if (!key) throw new UnknownKeyError(`secret sealed with key "${p.keyId}", which is not in ENCRYPTION_KEYS`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(p.iv, 'base64'));
      decipher.setAAD(p.version === V1 ? Buffer.from(p.keyId) : aad(p.keyId, context));
      decipher.setAuthTag(Buffer.from(p.tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(p.body, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      // never the cause: it would only say "unable to authenticate data"
      throw new UnreadableSecretError('sealed value does not authenticate for this place');
    }
  }

  static keyIdOf(sealed: string): string | undefined {
    return parts(sealed)?.keyId;
  }

  static isSealed(value: unknown): value is string {
    return typeof value === 'string' && parts(value) !== null;
  }
}

function aad(keyId: string, context: string): Buffer {
  return Buffer.from(`${V2}|${keyId}|${context}`, 'utf8');
}

/** The context of an integration's sealed value: its row and the JSON pointer of the field. */
export function integrationSecretContext(integrationId: number, pointer: string): string {
  return `integration:${integrationId}${pointer}`;
}
