// The shared Messenger Platform base: both channel handlers are it, verify webhooks with the one Meta
// X-Hub-Signature-256 check WhatsApp and Meta Lead Ads use, and differ only in their channel facts.
import { handlerContext } from '../../../test/support/handler-context';
import { FacebookMessengerHandler } from '../facebook-messenger/facebook-messenger.handler';
import { facebookMessengerWebhook } from '../facebook-messenger/facebook-messenger.webhook';
import { InstagramDirectHandler } from '../instagram-direct/instagram-direct.handler';
import { instagramDirectWebhook } from '../instagram-direct/instagram-direct.webhook';
import { metaLeadAdsWebhook } from '../meta-lead-ads/meta-lead-ads.webhook';
import { whatsAppWebhook } from '../whatsapp-cloud/whatsapp-cloud.webhook';
import { verifyHubSignature } from './meta-hub';
import { MetaMessagingHandler, profileOf } from './meta-messaging-handler';
import { MessagingSendError } from './meta-messaging-send';

const messenger = new FacebookMessengerHandler();
const instagram = new InstagramDirectHandler();
const MESSENGER = { pageId: '104', pageAccessToken: 't', appSecret: 's', verifyToken: 'v' };
const INSTAGRAM = { instagramAccountId: '178', pageId: '134', accessToken: 't', appSecret: 's', verifyToken: 'v' };

describe('MetaMessagingHandler', () => {
  it('both channels are one base; their webhooks verify with the X-Hub-Signature-256 check WhatsApp uses', () => {
    expect(messenger).toBeInstanceOf(MetaMessagingHandler);
    expect(instagram).toBeInstanceOf(MetaMessagingHandler);
    for (const spec of [facebookMessengerWebhook, instagramDirectWebhook, whatsAppWebhook, metaLeadAdsWebhook])
      expect(spec.verify).toBe(verifyHubSignature);
    expect(messenger.webhook).toBe(facebookMessengerWebhook);
    expect(instagram.webhook).toBe(instagramDirectWebhook);
  });

  it('routes and rate-limits by the page (Messenger) or the Instagram account (Instagram)', () => {
    expect(facebookMessengerWebhook.routingKeyOf?.(MESSENGER)).toBe('104');
    expect(instagramDirectWebhook.routingKeyOf?.(INSTAGRAM)).toBe('178');
    expect(messenger.sendRateKey(MESSENGER)).toBe('messenger:page:104');
    expect(instagram.sendRateKey(INSTAGRAM)).toBe('instagram:account:178');
  });

  it('refuses texts over the channel limit before Meta: 2000 characters on Messenger, 1000 bytes on Instagram', async () => {
    const refused = async (promise: Promise<unknown>) => {
      const err = await promise.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MessagingSendError);
      expect((err as MessagingSendError).failure).toBe('invalid');
    };
    await refused(messenger.sendText(handlerContext(MESSENGER), 'psid', 'x'.repeat(2001)));
    await refused(messenger.sendText(handlerContext(MESSENGER), 'psid', ''));
    // 334 euro signs are 1002 bytes, though only 334 characters
    await refused(instagram.sendText(handlerContext(INSTAGRAM), 'igsid', '€'.repeat(334)));
  });

  it('reads both profile shapes: Messenger first/last name, Instagram name and username', () => {
    expect(profileOf({ first_name: 'Ana', last_name: 'Lima', id: '1' })).toEqual({
      name: 'Ana Lima',
      firstName: 'Ana',
      lastName: 'Lima',
    });
    expect(profileOf({ name: 'Ana Lima', username: 'ana.lima', id: '2' })).toEqual({
      name: 'Ana Lima',
      username: 'ana.lima',
    });
    expect(profileOf('garbage')).toEqual({});
  });
});
