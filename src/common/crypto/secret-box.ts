import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EncryptionKey } from '../../config/app-config';

const PREFIX = 'enc:v1';

/** A stored secret: AES-256-GCM with a random 96-bit IV, tagged with the id of the key that sealed it. */
export interface SealedSecret {
  keyId: string;
  value: string;
}

export class UnknownKeyError extends Error {}

/**
 * Encrypts and decrypts secrets with the configured keys. The first key encrypts; every key
 * decrypts, so keys can rotate (`npm run secrets:rotate` re-seals with the first one).
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

  seal(plaintext: string): string {
    const { id, key } = this.keys[0];
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    // the key id is authenticated too: a value cannot be re-labelled to another key
    cipher.setAAD(Buffer.from(id));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      PREFIX,
      id,
      iv.toString('base64'),
      cipher.getAuthTag().toString('base64'),
      ciphertext.toString('base64'),
    ].join(':');
  }

  open(sealed: string): string {
    const parts = sealed.split(':');
    if (parts.length !== 6 || `${parts[0]}:${parts[1]}` !== PREFIX) throw new Error('not a sealed secret');
    const [, , id, iv, tag, ciphertext] = parts;
    const key = this.byId.get(id);
    if (!key) throw new UnknownKeyError(`secret sealed with key "${id}", which is not in ENCRYPTION_KEYS`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
    decipher.setAAD(Buffer.from(id));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64')), decipher.final()]).toString('utf8');
  }

  static keyIdOf(sealed: string): string | undefined {
    const parts = sealed.split(':');
    return parts.length === 6 && `${parts[0]}:${parts[1]}` === PREFIX ? parts[2] : undefined;
  }

  static isSealed(value: unknown): value is string {
    return typeof value === 'string' && value.startsWith(`${PREFIX}:`);
  }
}
