import { LEAD_TEXT_LIMITS, storableLead, storableText } from './lead-write-values';

describe('storableText', () => {
  it('drops NUL, replaces unpaired surrogates, keeps pairs', () => {
    expect(storableText('a\u0000b', 10)).toBe('ab');
    expect(storableText('a\ud800b\udc00', 10)).toBe('a\ufffdb\ufffd');
    expect(storableText('😀', 10)).toBe('😀');
    expect(storableText(' \u0000 ', 10)).toBeUndefined();
  });

  it('cuts at max, never between the halves of a pair', () => {
    expect(storableText('abcdef', 3)).toBe('abc');
    expect(storableText('ab😀', 3)).toBe('ab');
  });
});

describe('storableLead', () => {
  it('cleans every text of the lead and holds it to the limits', () => {
    const lead = storableLead({
      platform: 'meta',
      externalId: 'id\u0000',
      company: 'x'.repeat(10_000),
      city: '\u0000',
      tags: ['a', 'a\u0000', 'b'],
      customAnswers: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`q${i}`, 'v'])),
      consents: [{ key: '\ud800', accepted: true, label: 'l\u0000' }],
      source: { adName: 'ad\u0000', details: { utm: 'x\ud800' } },
    });
    expect(lead.externalId).toBe('id');
    expect(lead.company).toHaveLength(LEAD_TEXT_LIMITS.text);
    expect(lead).not.toHaveProperty('city');
    expect(lead.tags).toEqual(['a', 'b']);
    expect(Object.keys(lead.customAnswers ?? {})).toHaveLength(LEAD_TEXT_LIMITS.answers);
    expect(lead.consents).toEqual([{ key: '\ufffd', accepted: true, label: 'l' }]);
    expect(lead.source).toEqual({ adName: 'ad', details: { utm: 'x\ufffd' } });
  });

  it('keeps "__proto__" an ordinary answer', () => {
    const answers: Record<string, string> = {};
    Object.defineProperty(answers, '__proto__', { value: 'v', enumerable: true });
    expect(
      Object.keys(
        storableLead({ platform: 'x', externalId: '1', customAnswers: answers, source: {} }).customAnswers ?? {},
      ),
    ).toEqual(['__proto__']);
  });
});
