import type { ConfigProblem } from '../handler-types';

// The opt-out / opt-in keyword settings of Messenger and Instagram integrations: the same meaning as
// WhatsApp's `optOutKeywords` / `optInKeywords` (API.md "Opt-outs"), applied per channel.
/** The config schema properties both channels add (the same meaning as WhatsApp's). */
export const KEYWORD_SCHEMA_PROPERTIES = {
  optOutKeywords: {
    type: 'array',
    title: 'Opt-out keywords',
    description:
      'Single words that, sent alone, stop every message to the person on this channel (default STOP, UNSUBSCRIBE, SAIR, BAJA …).',
    items: { type: 'string', minLength: 1, maxLength: 40 },
    maxItems: 50,
  },
  optInKeywords: {
    type: 'array',
    title: 'Opt-in keywords',
    description: 'Single words that, sent alone, undo an opt-out (default START, UNSTOP, SUBSCRIBE …).',
    items: { type: 'string', minLength: 1, maxLength: 40 },
    maxItems: 50,
  },
} as const;

/**
 * Lower case without accents; punctuation, symbols and emoji removed; whitespace kept so that the
 * caller can tell one word from several. "¡Báixa!" → "baixa", "stop the car" → "stop the car".
 */
export function normalizeKeywordText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '') // combining accents left by NFKD
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * A channel's configured keywords, checked before they are saved: each one word (only a message that
 * is exactly one keyword counts, so "stop all" would never match and silently do nothing), none in
 * both lists. A JSON pointer into the config for each problem.
 */
export function keywordConfigProblems(config: Record<string, unknown>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const sets: Record<string, Set<string>> = {};
  for (const field of ['optOutKeywords', 'optInKeywords'] as const) {
    const words = config[field];
    sets[field] = new Set();
    if (!Array.isArray(words)) continue;
    words.forEach((word: unknown, index) => {
      if (typeof word !== 'string') return; // the schema reports it
      const normalized = normalizeKeywordText(word);
      if (normalized === '')
        problems.push({ pointer: `/${field}/${index}`, message: `"${word}" has no letters or digits` });
      else if (normalized.includes(' '))
        problems.push({ pointer: `/${field}/${index}`, message: `"${word}" must be a single word` });
      else sets[field].add(normalized);
    });
  }
  for (const word of sets.optInKeywords)
    if (sets.optOutKeywords.has(word))
      problems.push({
        pointer: '/optInKeywords',
        message: `"${word}" cannot be both an opt-out and an opt-in keyword`,
      });
  return problems;
}
