import { keywordConfigProblems } from './messaging-keywords';

describe('keywordConfigProblems (WhatsApp, Messenger and Instagram keyword settings)', () => {
  it('reports phrases, words with no letters and words in both lists, each at its JSON pointer', () => {
    expect(keywordConfigProblems({ optOutKeywords: ['stop all', '!!!', 'Halt'], optInKeywords: ['HALT'] })).toEqual([
      { pointer: '/optOutKeywords/0', message: '"stop all" must be a single word' },
      { pointer: '/optOutKeywords/1', message: '"!!!" has no letters or digits' },
      { pointer: '/optInKeywords', message: '"halt" cannot be both an opt-out and an opt-in keyword' },
    ]);
  });

  it('takes single words, accents and punctuation aside, and configs without keywords', () => {
    expect(keywordConfigProblems({ optOutKeywords: ['¡BAJA!', 'Sair'], optInKeywords: ['start'] })).toEqual([]);
    expect(keywordConfigProblems({})).toEqual([]);
    expect(keywordConfigProblems({ optOutKeywords: 'STOP' })).toEqual([]); // not a list: the schema refuses it
  });
});
