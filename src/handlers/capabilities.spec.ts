import {
  CalendarProvider,
  ContactPusher,
  isCalendarProvider,
  isContactPusher,
  isMessageSender,
  isWabaWebhookSubscriber,
  MessageSender,
} from './capabilities';
import { FacebookMessengerHandler } from './facebook-messenger/facebook-messenger.handler';
import { GoHighLevelHandler } from './gohighlevel/gohighlevel.handler';
import { InstagramDirectHandler } from './instagram-direct/instagram-direct.handler';
import type { IntegrationHandler } from './integration-handler';
import { ALL_HANDLERS } from './providers';
import { WhatsAppCloudHandler } from './whatsapp-cloud/whatsapp-cloud.handler';

// compile-time: the providers offering an extra implement its interface as declared
const senders: MessageSender[] = [
  new WhatsAppCloudHandler(),
  new FacebookMessengerHandler(),
  new InstagramDirectHandler(),
];
const calendars: CalendarProvider = new GoHighLevelHandler();
const contacts: ContactPusher = new GoHighLevelHandler();

describe('capabilities', () => {
  const handlers: IntegrationHandler[] = ALL_HANDLERS.map((Handler) => new Handler());
  const keysWhere = (guard: (h: IntegrationHandler) => boolean): string[] => handlers.filter(guard).map((h) => h.key);

  it('are recognised by their guards, not by a provider class', () => {
    expect(senders.length + [calendars, contacts].length).toBe(5);
    expect(keysWhere(isMessageSender)).toEqual(['facebook-messenger', 'instagram-direct', 'whatsapp-cloud']);
    expect(keysWhere(isCalendarProvider)).toEqual(['gohighlevel']);
    expect(keysWhere(isContactPusher)).toEqual(['gohighlevel']);
    expect(keysWhere(isWabaWebhookSubscriber)).toEqual(['whatsapp-cloud']);
  });

  it('need the methods and, for sending, the declared capability', () => {
    const base: IntegrationHandler = {
      key: 'x',
      displayName: 'x',
      category: 'test',
      capabilities: ['test'],
      defaultConfigSchema: { type: 'object', properties: {} },
      defaultRateLimitPerMinute: 60,
      testConnection: async () => ({ success: true, message: 'ok' }),
    };
    const sendText = async (): Promise<{ messageId: string }> => ({ messageId: 'm' });
    expect(isMessageSender(Object.assign({}, base, { sendText }))).toBe(false);
    expect(isMessageSender(Object.assign({}, base, { capabilities: ['send'] as const, sendText }))).toBe(true);
    expect(isMessageSender(Object.assign({}, base, { capabilities: ['send'] as const }))).toBe(false);
    const listCalendars = async (): Promise<[]> => [];
    expect(isCalendarProvider(Object.assign({}, base, { listCalendars }))).toBe(false);
    expect(isContactPusher(Object.assign({}, base, { upsertContact: 'no' }))).toBe(false);
  });
});
