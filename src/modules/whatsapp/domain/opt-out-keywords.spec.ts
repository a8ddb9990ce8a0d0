// Single-word opt-out/opt-in keywords: accents, punctuation and emoji ignored, sentences never matched.
import { DEFAULT_OPT_OUT_KEYWORDS, keywordMatcher, normalizeKeywordText } from './opt-out-keywords';

describe('keywordMatcher with the defaults', () => {
  const matcher = keywordMatcher();

  it.each([
    'STOP',
    'stop',
    ' Stop. ',
    'STOP!!!',
    'stop 🙏',
    '"Unsubscribe"',
    'SAIR',
    'sair.',
    'Saír',
    '¡BAJA!',
    'parar',
    'Cancelar',
  ])('%j is an opt-out', (text) => {
    expect(matcher.match(text)).toBe('opt_out');
  });

  it.each(['START', 'start', 'Unstop!', 'Alta'])('%j is an opt-in', (text) => {
    expect(matcher.match(text)).toBe('opt_in');
  });

  it.each([
    'stop the car',
    'Please stop',
    'can I cancel my order?',
    'STOP STOP',
    'stopping',
    'sairam',
    'unsubscribe me',
    'S T O P',
    '',
    '   ',
    '🛑',
    'start the engine',
  ])('%j is neither', (text) => {
    expect(matcher.match(text)).toBeNull();
  });

  it('ignores null and undefined (media without a caption)', () => {
    expect(matcher.match(null)).toBeNull();
    expect(matcher.match(undefined)).toBeNull();
  });
});

describe('per-integration keywords', () => {
  it('replace the defaults, so a business can drop CANCEL and add its own words', () => {
    const matcher = keywordMatcher({ optOutKeywords: ['stop', 'Descadastre'], optInKeywords: ['Voltar'] });
    expect(matcher.match('cancel')).toBeNull();
    expect(matcher.match('STOP')).toBe('opt_out');
    expect(matcher.match('descadastre!')).toBe('opt_out');
    expect(matcher.match('voltar')).toBe('opt_in');
    expect(matcher.match('start')).toBeNull();
  });

  it('keeps the defaults of a list the integration leaves out, and an empty list disables it', () => {
    expect(keywordMatcher({ optInKeywords: [] }).match('STOP')).toBe('opt_out');
    expect(keywordMatcher({ optInKeywords: [] }).match('START')).toBeNull();
    expect(keywordMatcher({ optOutKeywords: [] }).match('STOP')).toBeNull();
    expect(keywordMatcher({ optOutKeywords: null }).optOut.size).toBe(DEFAULT_OPT_OUT_KEYWORDS.length);
  });

  it('never matches a configured phrase, and prefers opt-out for a word in both lists', () => {
    const matcher = keywordMatcher({ optOutKeywords: ['stop all', 'halt'], optInKeywords: ['halt'] });
    expect(matcher.match('stop all')).toBeNull();
    expect(matcher.match('halt')).toBe('opt_out');
  });
});

describe('normalizeKeywordText', () => {
  it('drops accents, punctuation and emoji and folds whitespace', () => {
    expect(normalizeKeywordText('  ¡Ñandú,   DÉJAME! 😀 ')).toBe('nandu dejame');
    expect(normalizeKeywordText('ＳＴＯＰ')).toBe('stop');
  });
});
