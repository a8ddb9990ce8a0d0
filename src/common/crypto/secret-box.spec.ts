import { createCipheriv, randomBytes } from 'node:crypto';
import { integrationSecretContext, SecretBox, UnknownKeyError, UnreadableSecretError } from './secret-box';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };
const HERE = integrationSecretContext(7, '/config/pageAccessToken');

/** A value in the first format (bound to its key id only), as rows written before binding hold them. */
function legacySeal(key: { id: string; key: Buffer }, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(Buffer.from(key.id));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [
    'enc',
    'v1',
    key.id,
    iv.toString('base64'),
    cipher.getAuthTag().toString('base64'),
    body.toString('base64'),
  ].join(':');
}

describe('SecretBox', () => {
  it('round-trips with a random IV per value and never contains the plaintext', () => {
    const box = new SecretBox([k1]);
    const a = box.seal('EAAG-page-token-123', HERE);
    const b = box.seal('EAAG-page-token-123', HERE);
    expect(a).not.toBe(b);
    expect(a).not.toContain('EAAG');
    expect(a.startsWith('enc:v2:k1:')).toBe(true);
    expect(box.open(a, HERE)).toBe('EAAG-page-token-123');
    expect(SecretBox.keyIdOf(a)).toBe('k1');
  });

  it('decrypts with any configured key and encrypts with the first', () => {
    const old = new SecretBox([k1]).seal('s', HERE);
    const rotated = new SecretBox([k2, k1]);
    expect(rotated.open(old, HERE)).toBe('s');
    expect(SecretBox.keyIdOf(rotated.seal('s', HERE))).toBe('k2');
  });

  it('refuses a value sealed with a key it does not have, and a tampered value', () => {
    const sealed = new SecretBox([k1]).seal('s', HERE);
    expect(() => new SecretBox([k2]).open(sealed, HERE)).toThrow(UnknownKeyError);
    const parts = sealed.split(':');
    parts[5] = Buffer.from('tampered').toString('base64');
    expect(() => new SecretBox([k1]).open(parts.join(':'), HERE)).toThrow(UnreadableSecretError);
    // relabelling to another key id fails authentication
    const relabelled = sealed.replace(':k1:', ':k2:');
    expect(() => new SecretBox([k1, { id: 'k2', key: k1.key }]).open(relabelled, HERE)).toThrow(UnreadableSecretError);
  });

  it('binds a value to its place: another row or another field does not open it', () => {
    const box = new SecretBox([k1]);
    const sealed = box.seal('app-secret', HERE);
    expect(() => box.open(sealed, integrationSecretContext(8, '/config/pageAccessToken'))).toThrow(
      UnreadableSecretError,
    );
    expect(() => box.open(sealed, integrationSecretContext(7, '/config/appSecret'))).toThrow(UnreadableSecretError);
    expect(() => box.open(sealed, integrationSecretContext(7, '/webhookSecret'))).toThrow(UnreadableSecretError);
  });

  it('reads a legacy value only where its row is known to be legacy, and never takes plain text as sealed', () => {
    const box = new SecretBox([k1]);
    const legacy = legacySeal(k1, 'old-token');
    expect(box.open(legacy, HERE, true)).toBe('old-token');
    expect(() => box.open(legacy, HERE)).toThrow(UnreadableSecretError);
    expect(() => box.open('enc:v1:k1:AAAA:BBBB:CCCC', HERE, true)).toThrow(UnreadableSecretError);
    expect(() => box.open('plain-text-token', HERE)).toThrow(UnreadableSecretError);
  });
});
