import { createAjv, patternEngine } from './ajv';

const schemaWith = (pattern: string) => ({
  type: 'object',
  properties: { value: { type: 'string', pattern }, keyed: { type: 'object', patternProperties: { [pattern]: {} } } },
});

describe('config schema patterns', () => {
  it('run a nested quantifier in linear time: a value that takes a backtracking engine hours is refused at once', () => {
    // /(a+)+$/ on "aaa…ab" backtracks 2^n ways on JavaScript's engine (n = 28 took 24 s here)
    const validate = createAjv().compile(schemaWith('(a+)+$'));
    expect(validate({ value: `${'a'.repeat(100_000)}b` })).toBe(false);
    expect(validate({ value: 'xaaa' })).toBe(true);
    expect(patternEngine('(a+)+$', 'u')).not.toBeInstanceOf(RegExp);
  });

  it('match anywhere in the text, as JSON Schema patterns do (not the whole text)', () => {
    const validate = createAjv().compile(schemaWith('^[0-9]+$'));
    expect(validate({ value: '123' })).toBe(true);
    expect(validate({ value: '12a' })).toBe(false);
    const unanchored = createAjv().compile(schemaWith('b'));
    expect(unanchored({ value: 'abc' })).toBe(true);
    expect(unanchored({ value: 'xyz' })).toBe(false);
  });

  it('apply to patternProperties keys too', () => {
    const validate = createAjv().compile({
      type: 'object',
      patternProperties: { '^x-(a+)+$': { type: 'number' } },
    });
    expect(validate({ 'x-aaa': 1 })).toBe(true);
    expect(validate({ 'x-aaa': 'one' })).toBe(false);
    expect(validate({ [`x-${'a'.repeat(50_000)}!`]: 'one' })).toBe(true);
  });

  it('that RE2 cannot read (lookahead, back-references) still compile and run on JavaScript engine', () => {
    expect(patternEngine('^(?=.*[0-9])[a-z0-9]+$', 'u')).toBeInstanceOf(RegExp);
    const validate = createAjv().compile(schemaWith('^(?=.*[0-9])[a-z0-9]+$'));
    expect(validate({ value: 'abc1' })).toBe(true);
    expect(validate({ value: 'abc' })).toBe(false);
    const backReference = createAjv().compile(schemaWith('^(a)\\1$'));
    expect(backReference({ value: 'aa' })).toBe(true);
    expect(backReference({ value: 'ab' })).toBe(false);
  });

  it('that no engine reads still make the schema invalid', () => {
    expect(() => createAjv().compile(schemaWith('(unclosed'))).toThrow();
  });
});

describe('config schema types', () => {
  it('take a list of types, as JSON Schema allows ("type": ["string", "null"] for a field that may be empty)', () => {
    // strict mode refused it ("use allowUnionTypes"), an option a super-admin cannot set
    const validate = createAjv().compile({
      type: 'object',
      properties: { note: { type: ['string', 'null'] }, size: { type: ['integer', 'string'] } },
    });
    expect(validate({ note: null, size: 3 })).toBe(true);
    expect(validate({ note: 'x', size: 'large' })).toBe(true);
    expect(validate({ note: 1 })).toBe(false);
    expect(validate({ size: true })).toBe(false);
  });

  it('stay strict otherwise: an unknown keyword does not compile', () => {
    expect(() => createAjv().compile({ type: 'object', properties: { a: { type: 'string', colour: 'red' } } })).toThrow(
      /unknown keyword/,
    );
  });
});
