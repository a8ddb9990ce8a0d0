// Opt-out keywords on Messenger and Instagram. Meta's Messenger Platform has no keyword handling of
// its own for ordinary conversations (its own "stop" controls concern Marketing Messages opt-ins,
// the `messaging_optins` webhook with notification_messages_status STOP_NOTIFICATIONS), so, as on
// WhatsApp, a message that is exactly one keyword (STOP, SAIR, BAJA …, or the integration's
// `optOutKeywords` / `optInKeywords`) opts the person out of, or back into, this page or account.
import { asArray } from '../../../handlers/shared/json';
import type { IntegrationConfig } from '../../../handlers/integration-handler';
import type { KeywordConfig } from '../../whatsapp/domain/opt-out-keywords';

function words(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  return asArray(value).filter((w): w is string => typeof w === 'string');
}

/** The integration's keyword lists (the defaults where it sets none). */
export function keywordConfigOf(config: IntegrationConfig): KeywordConfig {
  const optOutKeywords = words(config.optOutKeywords);
  const optInKeywords = words(config.optInKeywords);
  return { ...(optOutKeywords ? { optOutKeywords } : {}), ...(optInKeywords ? { optInKeywords } : {}) };
}
