// Audit 19 of API.md "Messaging channels (Instagram Direct, Facebook Messenger)": the window the
// channel-neutral send checks, as the CRM's developer and a provider that sends every event Meta documents.
// Each test failed on the code it was written against.
//
// Meta, m.me Links (developers.facebook.com/documentation/business-messaging/messenger-platform/discovery/
// m-me-links): "When a person clicks an m.me link and a conversation already exists between your business
// and the person, the link will take them to the existing conversation. This action will reset the 24-hour
// standard messaging window, allowing your messaging app to reply to the person and a messaging_referrals
// webhook notification will be sent".
import { connectMessengerPage, messengerWrites } from '../support/messenger-page';
import { eventsSettled, metaSignature } from '../support/webhooks';
import { TestApp } from '../support/test-app';
import { startWhatsApp12, WhatsApp12, whatsApp12Helpers } from '../support/whatsapp-issue12-setup';

type Conversation = { id: string; windowOpenUntil: string | null; contact: Record<string, string | null> };

describe('contract audit 19: messaging channels', () => {
  let w: WhatsApp12;
  let t: TestApp;
  let sub: number;
  let agent: string;
  const { get, post } = whatsApp12Helpers(() => w);

  const page = {
    pageId: '104620417301919',
    pageAccessToken: 'EAAG-audit19',
    appSecret: 'audit19-secret',
    verifyToken: 'v19',
  };
  const writes = messengerWrites(() => t, page);

  beforeAll(async () => {
    w = await startWhatsApp12();
    ({ t, sub, agent } = w);
    await connectMessengerPage(t, sub, page);
  });
  afterAll(() => w?.close());

  /** A signed messaging_referrals delivery: `psid` opened the existing thread through an m.me link at `ms`. */
  const referral = async (psid: string, ms: number): Promise<void> => {
    const body = JSON.stringify({
      object: 'page',
      entry: [
        {
          id: page.pageId,
          time: ms,
          messaging: [
            {
              sender: { id: psid },
              recipient: { id: page.pageId },
              timestamp: ms,
              referral: { ref: 'spring_promo', source: 'SHORTLINK', type: 'OPEN_THREAD' },
            },
          ],
        },
      ],
    });
    const res = await t.http
      .post('/api/webhooks/facebook-messenger')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(body, page.appSecret))
      .send(body);
    expect(res.status).toBe(200);
    await eventsSettled(t);
  };

  const conversationOf = async (psid: string): Promise<Conversation> => {
    const res = await get(`/api/conversations?subAccountId=${sub}&channel=messenger&q=${psid}`, agent);
    expect(res.status).toBe(200);
    const [c] = res.body.items as Conversation[];
    expect(c.contact.psid).toBe(psid);
    return c;
  };

  // API.md "Messaging channels": POST /api/messages → 202, "422 WINDOW_CLOSED outside the channel's window".
  // A person who wrote three days ago comes back into the thread through an m.me link: Meta reopens the
  // 24-hour window (messaging_referrals, cited above), but the hub kept it closed and refused the reply.
  it('an m.me link into an existing thread reopens the 24-hour window: the reply is accepted', async () => {
    const psid = '6543210919000001';
    const day = 24 * 60 * 60 * 1000;
    await writes(psid, 'm_a19_ref_1', 'do you ship abroad?', Date.now() - 3 * day);
    const before = await conversationOf(psid);
    const closed = await post('/api/messages', agent, {
      subAccountId: sub,
      channel: 'messenger',
      conversationId: before.id,
      text: 'Sorry for the delay!',
    });
    expect(closed.status).toBe(422);
    expect(closed.body.code).toBe('WINDOW_CLOSED');

    const clicked = Date.now() - 60_000;
    await referral(psid, clicked);
    const after = await conversationOf(psid);
    expect(after.id).toBe(before.id);
    expect(Date.parse(after.windowOpenUntil ?? '')).toBe(clicked + day);
    const reply = await post('/api/messages', agent, {
      subAccountId: sub,
      channel: 'messenger',
      conversationId: after.id,
      text: 'Welcome back! Yes, we ship abroad.',
    });
    expect(reply.status).toBe(202);
    expect(reply.body).toMatchObject({ status: 'queued', conversationId: after.id, channel: 'messenger', tag: null });
  });

  // The same delivery redelivered late, after the person wrote again, moves nothing back.
  it('a referral redelivered after a later message leaves the window where the later message put it', async () => {
    const psid = '6543210919000002';
    const day = 24 * 60 * 60 * 1000;
    const clicked = Date.now() - 2 * 60 * 60_000;
    await referral(psid, clicked);
    const wrote = Date.now() - 60_000;
    await writes(psid, 'm_a19_ref_2', 'hello again', wrote);
    await referral(psid, clicked - 1);
    const c = await conversationOf(psid);
    expect(Date.parse(c.windowOpenUntil ?? '')).toBe(wrote + day);
  });
});
