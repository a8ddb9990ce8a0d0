// Opt-out and opt-in keywords in inbound WhatsApp messages. Only a message that is exactly one
// keyword counts ("STOP", "stop!", "Stop 🙏", "¡BAJA!", "Saír"), never a sentence that contains one
// ("stop the car", "can I cancel my order?"): a false opt-out silently cuts a customer off.
// Case, accents, punctuation, symbols and emoji around the word are ignored.
//
//   const matcher = keywordMatcher({ optOutKeywords: config.optOutKeywords, optInKeywords: config.optInKeywords });
//   matcher.match(message.text)   // 'opt_out' | 'opt_in' | null
//
// An integration's `optOutKeywords` / `optInKeywords` (API.md) replace the defaults — a business whose
// customers write "CANCEL" to cancel a booking must be able to drop it. WhatsApp itself does not act
// on these words (Meta's own marketing opt-out arrives as the `user_preferences` webhook), so these
// lists are ours: the common carrier words (STOP, UNSUBSCRIBE, CANCEL, END, QUIT; START, UNSTOP) and
// their Portuguese and Spanish equivalents for the markets the hub serves.

import { normalizeKeywordText } from '../../../handlers/shared/messaging-keywords';

export { normalizeKeywordText };

export type KeywordIntent = 'opt_out' | 'opt_in';

export const DEFAULT_OPT_OUT_KEYWORDS: readonly string[] = [
  'STOP',
  'STOPALL',
  'UNSUBSCRIBE',
  'CANCEL',
  'END',
  'QUIT',
  'OPTOUT',
  // Portuguese
  'SAIR',
  'PARAR',
  'PARE',
  'CANCELAR',
  'DESCADASTRAR',
  // Spanish
  'BAJA',
  'DETENER',
  'DESUSCRIBIR',
];

export const DEFAULT_OPT_IN_KEYWORDS: readonly string[] = ['START', 'UNSTOP', 'SUBSCRIBE', 'RESUME', 'OPTIN', 'ALTA'];

export interface KeywordConfig {
  optOutKeywords?: readonly string[] | null;
  optInKeywords?: readonly string[] | null;
}

function keywordSet(words: readonly string[]): Set<string> {
  const set = new Set<string>();
  for (const word of words) {
    const normalized = normalizeKeywordText(word);
    // a configured keyword is one word too: "stop all" would never match a single-word message
    if (normalized !== '' && !normalized.includes(' ')) set.add(normalized);
  }
  return set;
}

export interface KeywordMatcher {
  match(text: string | null | undefined): KeywordIntent | null;
  readonly optOut: ReadonlySet<string>;
  readonly optIn: ReadonlySet<string>;
}

/** A matcher for one integration's configuration (the defaults where it sets none). */
export function keywordMatcher(config: KeywordConfig = {}): KeywordMatcher {
  const optOut = keywordSet(config.optOutKeywords ?? DEFAULT_OPT_OUT_KEYWORDS);
  const optIn = keywordSet(config.optInKeywords ?? DEFAULT_OPT_IN_KEYWORDS);
  return {
    optOut,
    optIn,
    match(text) {
      if (!text) return null;
      const word = normalizeKeywordText(text);
      if (word === '' || word.includes(' ')) return null;
      // a word in both lists is an opt-out: stopping wrongly is recoverable (START), spamming is not
      if (optOut.has(word)) return 'opt_out';
      if (optIn.has(word)) return 'opt_in';
      return null;
    },
  };
}
