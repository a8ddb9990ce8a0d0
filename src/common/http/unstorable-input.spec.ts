import { unstorableInput } from './unstorable-input';

describe('unstorableInput', () => {
  it('refuses a key naming a member of Object.prototype, which class-transformer would drop', () => {
    for (const key of ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__'])
      expect(unstorableInput({ parameters: { '1': 'a', [key]: 'x' } }, 'body')).toEqual({
        field: `parameters.${key}`,
        message: expect.stringContaining(`a key named ${key} cannot be taken`),
      });
    expect(unstorableInput({ constructor: 1 }, 'body')?.field).toBe('constructor');
  });

  it('takes those words as values, and ordinary keys', () => {
    expect(unstorableInput({ tags: ['constructor', 'toString'], name: 'valueOf', toStrings: 1 }, 'body')).toBeNull();
  });

  it('still refuses NUL, lone surrogates and deep nesting', () => {
    expect(unstorableInput({ a: 'x\u0000' }, 'body')?.field).toBe('a');
    expect(unstorableInput({ a: '\ud800' }, 'body')?.field).toBe('a');
    let deep: unknown = 1;
    for (let i = 0; i < 70; i++) deep = { d: deep };
    expect(unstorableInput(deep, 'body')?.message).toContain('nested deeper');
  });
});
