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
