import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mappingSourceProblems, readMappingSource, resolveMappingSource } from './generic-webhook.mapping';

/** Typeform's shape (fixtures/README.md): answers[] in form order, each with field.ref and a typed value. */
const TYPEFORM: unknown = JSON.parse(
  readFileSync(join(__dirname, 'fixtures', 'form-response.typeform-shape.json'), 'utf8'),
);
const byRef = (ref: string, value: string) => ({
  pointer: '/form_response/answers',
  where: { '/field/ref': ref },
  value,
});

describe('generic webhook mapping sources', () => {
  describe('resolveMappingSource', () => {
    it('resolves a plain JSON Pointer as before', () => {
      expect(resolveMappingSource(TYPEFORM, '/form_response/answers/1/email')).toBe('ines.duarte@example.com');
      expect(resolveMappingSource(TYPEFORM, '/form_response/nothing')).toBeUndefined();
    });

    it('picks an answer by its field.ref, wherever the form puts it', () => {
      const source = readMappingSource(byRef('email', '/email'));
      expect(source).toBeDefined();
      expect(resolveMappingSource(TYPEFORM, source!)).toBe('ines.duarte@example.com');

      const reordered = structuredClone(TYPEFORM) as { form_response: { answers: unknown[] } };
      reordered.form_response.answers.reverse();
      expect(resolveMappingSource(reordered, source!)).toBe('ines.duarte@example.com');
      expect(resolveMappingSource(reordered, readMappingSource(byRef('phone', '/phone_number'))!)).toBe(
        '+351912000111',
      );
    });

    it('takes the first item where every condition holds exactly, with no type coercion', () => {
      const payload = {
        rows: [
          { k: 'a', n: 1, ok: false, v: 'first' },
          { k: 'a', n: 1, ok: true, v: 'second' },
          { k: 'a', n: '1', ok: true, v: 'third' },
          { k: 'a', n: 1, ok: true, v: 'fourth' },
        ],
      };
      const pick = (where: Record<string, string | number | boolean>) =>
        resolveMappingSource(payload, { pointer: '/rows', where, value: '/v' });
      expect(pick({ '/k': 'a' })).toBe('first');
      expect(pick({ '/k': 'a', '/ok': true })).toBe('second');
      expect(pick({ '/n': '1' })).toBe('third');
      expect(pick({ '/k': 'b' })).toBeUndefined();
    });

    it('gives the item itself without a value pointer, and nothing when the pointer is not an array', () => {
      const payload = { tags: [{ id: 't1', label: 'vip' }], one: { id: 't1' } };
      expect(resolveMappingSource(payload, readMappingSource({ pointer: '/tags', where: { '/id': 't1' } })!)).toEqual({
        id: 't1',
        label: 'vip',
      });
      expect(resolveMappingSource(payload, { pointer: '/one', where: { '/id': 't1' }, value: '' })).toBeUndefined();
      expect(resolveMappingSource(null, { pointer: '/tags', where: { '/id': 't1' }, value: '' })).toBeUndefined();
    });

    it('skips items that are not objects and never reads inherited keys', () => {
      const list: unknown[] = [
        null,
        'text',
        3,
        [],
        { constructor: 'x' },
        JSON.parse('{ "__proto__": "own", "ref": "r" }'),
      ];
      const payload = { list };
      expect(
        resolveMappingSource(payload, { pointer: '/list', where: { '/toString': 'x' }, value: '' }),
      ).toBeUndefined();
      expect(resolveMappingSource(payload, { pointer: '/list', where: { '/constructor': 'x' }, value: '' })).toEqual({
        constructor: 'x',
      });
      expect(resolveMappingSource(payload, { pointer: '/list', where: { '/__proto__': 'own' }, value: '/ref' })).toBe(
        'r',
      );
    });
  });

  describe('mappingSourceProblems: what is wrong, at which pointer', () => {
    it('accepts pointers and well-formed selectors', () => {
      expect(mappingSourceProblems('/email', '/mapping/email')).toEqual([]);
      expect(mappingSourceProblems(byRef('email', '/email'), '/mapping/email')).toEqual([]);
      expect(
        mappingSourceProblems({ pointer: '', where: { '/a': 1, '/b': true, '/c': 'x' } }, '/mapping/email'),
      ).toEqual([]);
    });

    it('names each bad part of a selector', () => {
      expect(
        mappingSourceProblems(
          {
            pointer: 'form_response/answers',
            where: { 'field/ref': 'email', '/ok': { nested: true } },
            value: 3,
            extra: 1,
          },
          '/mapping/email',
        ),
      ).toEqual([
        { pointer: '/mapping/email/extra', message: expect.stringContaining('not part of an array selector') },
        {
          pointer: '/mapping/email/pointer',
          message: expect.stringContaining('"form_response/answers" is not a JSON Pointer'),
        },
        {
          pointer: '/mapping/email/value',
          message: expect.stringContaining('must be a JSON Pointer inside the chosen item'),
        },
        { pointer: '/mapping/email/where/field~1ref', message: expect.stringContaining('e.g. "/field/ref"') },
        { pointer: '/mapping/email/where/~1ok', message: expect.stringContaining('text, a number or true/false') },
      ]);
    });

    it('requires one to five conditions and a pointer', () => {
      for (const where of [undefined, {}, [], 'ref=email', { '/a': 1, '/b': 1, '/c': 1, '/d': 1, '/e': 1, '/f': 1 }])
        expect(mappingSourceProblems({ pointer: '/list', where }, '/mapping/phone')).toEqual([
          { pointer: '/mapping/phone/where', message: expect.stringContaining('1 to 5 conditions') },
        ]);
      expect(mappingSourceProblems({ where: { '/a': 1 } }, '/mapping/phone')).toEqual([
        { pointer: '/mapping/phone/pointer', message: expect.stringContaining('JSON Pointer of the array') },
      ]);
      expect(mappingSourceProblems({ pointer: '/list', where: { '': 'x' } }, '/mapping/phone')).toHaveLength(1);
    });

    it('explains both forms when the value is neither', () => {
      for (const bad of [3, null, ['/a'], true])
        expect(mappingSourceProblems(bad, '/mapping/city')).toEqual([
          { pointer: '/mapping/city', message: expect.stringContaining('or an array selector such as {') },
        ]);
      expect(readMappingSource(3)).toBeUndefined();
      expect(readMappingSource({ pointer: '/a' })).toBeUndefined();
    });
  });
});
