import { DomainException } from '../errors/domain.exception';
import { canonicalJson, parseIdempotencyKey, requestFingerprint } from './idempotency-key';

describe('parseIdempotencyKey', () => {
  it('has no key without the header', () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
  });

  it('takes a bare key and the draft’s structured-field string as the same key', () => {
    expect(parseIdempotencyKey('8e03978e-40d5-43e8-bc93-6894a57f9324')).toBe('8e03978e-40d5-43e8-bc93-6894a57f9324');
    expect(parseIdempotencyKey('"8e03978e-40d5-43e8-bc93-6894a57f9324"')).toBe('8e03978e-40d5-43e8-bc93-6894a57f9324');
    expect(parseIdempotencyKey('"a \\"quoted\\" \\\\ key"')).toBe('a "quoted" \\ key');
    // not a well-formed sf-string: the value itself is the key
    expect(parseIdempotencyKey('"unbalanced')).toBe('"unbalanced');
  });

  it('takes 1 to 255 printable ASCII characters', () => {
    expect(parseIdempotencyKey('k')).toBe('k');
    expect(parseIdempotencyKey(' ~'.repeat(127) + 'k')).toHaveLength(255);
  });

  it.each([
    ['empty', ''],
    ['an empty sf-string', '""'],
    ['256 characters', 'k'.repeat(256)],
    ['not ASCII', 'clé'],
    ['a control character', 'a\tb'],
    ['DEL', 'a\x7fb'],
  ])('refuses a key that is %s with 400 VALIDATION_FAILED naming the header', (_what, value) => {
    let thrown: unknown;
    try {
      parseIdempotencyKey(value);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(DomainException);
    expect(thrown).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect((thrown as DomainException).details).toEqual([
      { field: 'Idempotency-Key', messages: ['Idempotency-Key must be 1 to 255 printable ASCII characters'] },
    ]);
  });

  it('refuses the header sent twice', () => {
    expect(() => parseIdempotencyKey(['a', 'b'])).toThrow('Idempotency-Key must be sent once');
  });
});

describe('requestFingerprint', () => {
  it('is the same for the same body in another key order, and differs for another body', () => {
    const a = { subAccountId: 1, leadIds: ['1', '2'], template: { id: '7', x: null }, parameters: { '1': 'Ana' } };
    const b = { parameters: { '1': 'Ana' }, template: { x: null, id: '7' }, leadIds: ['1', '2'], subAccountId: 1 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(requestFingerprint(a)).toBe(requestFingerprint(b));
    expect(requestFingerprint(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(requestFingerprint({ ...a, leadIds: ['2', '1'] })).not.toBe(requestFingerprint(a));
    expect(requestFingerprint({ ...a, subAccountId: '1' })).not.toBe(requestFingerprint(a));
  });

  it('reads a missing body as null', () => {
    expect(canonicalJson(undefined)).toBe('null');
    expect(requestFingerprint(undefined)).toBe(requestFingerprint(null));
  });
});
