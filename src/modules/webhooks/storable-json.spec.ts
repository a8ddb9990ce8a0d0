import { MAX_PAYLOAD_DEPTH, unstorableReason } from './storable-json';

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = i % 2 ? { a: value } : [value];
  return value;
}

describe('unstorableReason', () => {
  it('accepts ordinary payloads, including paired surrogates (emoji)', () => {
    expect(unstorableReason({ name: 'Zoë 😀', tags: ['a', 'b'], n: 1, ok: true, none: null })).toBeNull();
    expect(unstorableReason(nested(MAX_PAYLOAD_DEPTH - 1))).toBeNull();
  });

  it('refuses NUL characters and lone surrogates in values and keys', () => {
    expect(unstorableReason({ a: 'x\u0000y' })).toMatch(/NUL/);
    expect(unstorableReason({ ['k\u0000']: 1 })).toMatch(/NUL/);
    expect(unstorableReason(['\ud800'])).toMatch(/surrogate/);
    expect(unstorableReason({ a: 'x\udc00' })).toMatch(/surrogate/);
  });

  it('refuses deep nesting without recursion, even 100,000 levels', () => {
    expect(unstorableReason(nested(MAX_PAYLOAD_DEPTH + 1))).toMatch(/nested deeper/);
    expect(unstorableReason(nested(100_000))).toMatch(/nested deeper/);
  });
});
