import { randomBytes } from 'node:crypto';
import { SecretBox, UnknownKeyError } from './secret-box';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };

describe('SecretBox', () => {
  it('round-trips with a random IV per value and never contains the plaintext', () => {
    const box = new SecretBox([k1]);
    const a = box.seal('EAAG-page-token-123');
    const b = box.seal('EAAG-page-token-123');
    expect(a).not.toBe(b);
    expect(a).not.toContain('EAAG');
    expect(box.open(a)).toBe('EAAG-page-token-123');
    expect(SecretBox.keyIdOf(a)).toBe('k1');
  });

  it('decrypts with any configured key and encrypts with the first', () => {
    const old = new SecretBox([k1]).seal('s');
    const rotated = new SecretBox([k2, k1]);
    expect(rotated.open(old)).toBe('s');
    expect(SecretBox.keyIdOf(rotated.seal('s'))).toBe('k2');
  });

  it('refuses a value sealed with a key it does not have, and a tampered value', () => {
    const sealed = new SecretBox([k1]).seal('s');
    expect(() => new SecretBox([k2]).open(sealed)).toThrow(UnknownKeyError);
    const parts = sealed.split(':');
    parts[5] = Buffer.from('tampered').toString('base64');
    expect(() => new SecretBox([k1]).open(parts.join(':'))).toThrow();
    // relabelling to another key id fails authentication
    const relabelled = sealed.replace(':k1:', ':k2:');
    expect(() => new SecretBox([k1, { id: 'k2', key: k1.key }]).open(relabelled)).toThrow();
  });
});
