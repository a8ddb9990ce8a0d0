// Audit 13 of API.md "WhatsApp", "Messaging channels", "Analytics" and "Reports": what the twelve
// audits before it left open, each test failing on the code it was written against.
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { statusOf, WhatsAppWebhooks } from '../support/fakes/whatsapp-webhooks';
import { connectMessengerPage, messengerWrites } from '../support/messenger-page';
import { TestApp } from '../support/test-app';
import { nowSeconds, WhatsApp12, startWhatsApp12, whatsApp12Helpers } from '../support/whatsapp-issue12-setup';

describe('contract audit 13: messaging', () => {
  let w: WhatsApp12;
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let hooks: WhatsAppWebhooks;
  let sub: number;
  let admin: string;
  let agent: string;
  const { post, get, hook, processed } = whatsApp12Helpers(() => w);
  const count = async (table: string): Promise<number> =>
    (await t.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;

  const page = {
    pageId: '104620413300013',
    pageAccessToken: 'EAAG-audit13',
    appSecret: 'audit13-secret',
    verifyToken: 'v13',
  };
  const writes = messengerWrites(() => t, page);
  beforeAll(async () => {
    w = await startWhatsApp12();
    ({ t, fake, hooks, sub, admin, agent } = w);
    await connectMessengerPage(t, sub, page);
  });
  afterAll(() => w?.close());

  // API.md "Bulk sends": `leadIds | filter` and `template: { id } | text`, one of each. A field sent as
  // null passed the "exactly one" checks as if given: { template: null } queued a text bulk with no
  // text, { leadIds: null } selected every lead of the sub-account as an empty filter does.
  it('POST /api/whatsapp/bulk: leadIds, filter, template or text sent as null is 400, nothing queued', async () => {
    const lead = await post('/api/leads', admin, { subAccountId: sub, fullName: 'Bulk Null', phone: '+14155550301' });
    expect(lead.status).toBe(201);
    const leadIds = [lead.body.id as string];
    const jobsBefore = await count('whatsapp_bulk_jobs');
    for (const body of [
      { leadIds, template: null },
      { leadIds, text: null },
      { leadIds, text: 'hi', template: null },
      { leadIds: null, text: 'hi' },
      { filter: null, text: 'hi' },
      { leadIds, filter: null, text: 'hi' },
    ]) {
      const res = await post('/api/whatsapp/bulk', admin, { subAccountId: sub, ...body });
      expect({ body, status: res.status, code: res.body.code }).toEqual({
        body,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
    }
    expect(await count('whatsapp_bulk_jobs')).toBe(jobsBefore);
  });

  // API.md "Messaging channels": POST /api/messages { subAccountId, channel, conversationId | leadId, text }.
  // A leadId of null reached BigInt(null) on WhatsApp (500 INTERNAL) and read as lead 0 elsewhere (404).
  it('POST /api/messages: conversationId or leadId sent as null is 400 on every channel, never 500', async () => {
    await hook(hooks.inboundText({ from: '14155550302', name: 'Nil', text: 'hello' }));
    await processed();
    const sentBefore = fake.sends.length;
    const messagesBefore = await count('messages');
    for (const channel of ['whatsapp', 'messenger', 'instagram'])
      for (const ids of [{ leadId: null }, { conversationId: null }]) {
        const body = { subAccountId: sub, channel, ...ids, text: 'hi' };
        const res = await post('/api/messages', agent, body);
        expect({ body, status: res.status, code: res.body.code }).toEqual({
          body,
          status: 400,
          code: 'VALIDATION_FAILED',
        });
      }
    expect(await count('messages')).toBe(messagesBefore);
    expect(fake.sends.length).toBe(sentBefore);
  });

  // API.md "Messages": statuses move outbound messages (queued < sent < delivered < read; failed final);
  // an inbound message is `received`. A status naming an inbound message's wamid (Meta never sends one:
  // garbage) turned it `read`, and a failed 131050 one opted its sender out of marketing.
  it('a status naming an inbound message leaves it received and opts nobody out', async () => {
    const wamid = 'wamid.AUDIT13INBOUND';
    await hook(hooks.inboundText({ from: '14155550303', name: 'In', text: 'hi', id: wamid }));
    await processed();
    const optOutsBefore = await count('whatsapp_opt_outs');
    const at = nowSeconds();
    await hook(
      hooks.statuses([
        statusOf(wamid, 'read', { timestamp: at, recipientId: '14155550303' }),
        statusOf(wamid, 'failed', {
          timestamp: at + 1,
          recipientId: '14155550303',
          errors: [{ code: 131050, title: 'User has stopped marketing messages' }],
        }),
      ]),
    );
    await processed();
    const listed = await get(`/api/whatsapp/messages?subAccountId=${sub}&status=received`, agent);
    const item = (listed.body.items as Array<Record<string, unknown>>).find((m) => m.wamid === wamid);
    expect(item).toMatchObject({ direction: 'inbound', status: 'received', readAt: null, failedAt: null, error: null });
    expect(await count('whatsapp_opt_outs')).toBe(optOutsBefore);
  });

  // A super-admin may name any sub-account: one that does not exist is 404 NOT_FOUND, as POST /api/leads
  // and POST /api/report-templates answer. An opt-out for it was 201 and stored for no sub-account.
  it('POST /api/whatsapp/opt-outs for a sub-account that does not exist is 404, nothing stored', async () => {
    const superAdmin = `Bearer ${t.token('SUPER_ADMIN', [])}`;
    const before = await count('whatsapp_opt_outs');
    for (const contact of [{ phone: '+14155550304' }, { waId: '14155550304' }]) {
      const body = { subAccountId: 777_777, ...contact, scope: 'all' };
      const res = await post('/api/whatsapp/opt-outs', superAdmin, body);
      expect({ body, status: res.status, code: res.body.code }).toEqual({ body, status: 404, code: 'NOT_FOUND' });
    }
    expect(await count('whatsapp_opt_outs')).toBe(before);
    // the super-admin's opt-out in a sub-account that exists still goes through
    const ok = await post('/api/whatsapp/opt-outs', superAdmin, {
      subAccountId: sub,
      waId: '14155550304',
      scope: 'all',
    });
    expect(ok.status).toBe(201);
  });

  // API.md "Opt-outs": keywords add or remove entries; the contact's last word is what stands. Meta does
  // not order its deliveries: a STOP written after a START but processed before it was undone by it (a
  // contact who said STOP got marketing again), and a late STOP undid a newer START.
  it('keywords delivered out of order: the later one written is what stands', async () => {
    const optOutOf = async (waId: string) =>
      (
        (await get(`/api/whatsapp/opt-outs?subAccountId=${sub}&pageSize=200`, admin)).body.items as Array<{
          waId: string | null;
        }>
      ).some((o) => o.waId === waId);
    const at = nowSeconds();
    await hook(hooks.inboundText({ from: '14155550305', text: 'STOP', timestamp: at }));
    await processed();
    await hook(hooks.inboundText({ from: '14155550305', text: 'START', timestamp: at - 60 }));
    await processed();
    expect(await optOutOf('14155550305')).toBe(true);

    await hook(hooks.inboundText({ from: '14155550306', text: 'START', timestamp: at }));
    await processed();
    await hook(hooks.inboundText({ from: '14155550306', text: 'STOP', timestamp: at - 60 }));
    await processed();
    expect(await optOutOf('14155550306')).toBe(false);
    // in order, each still does what it says
    await hook(hooks.inboundText({ from: '14155550306', text: 'STOP', timestamp: at + 1 }));
    await processed();
    expect(await optOutOf('14155550306')).toBe(true);
  });

  // The same on Messenger (API.md "Messaging channels": the WhatsApp conversation and message model).
  it('Messenger keywords delivered out of order: the later one written is what stands', async () => {
    const optedOut = async (psid: string) =>
      (await t.sql.query("SELECT 1 FROM whatsapp_opt_outs WHERE channel = 'messenger' AND contact_key = $1", [psid]))
        .rowCount === 1;
    const at = Date.now();
    await writes('6543210913000001', 'm_a13_1', 'STOP', at);
    await writes('6543210913000001', 'm_a13_2', 'START', at - 60_000);
    expect(await optedOut('6543210913000001')).toBe(true);
    await writes('6543210913000002', 'm_a13_3', 'START', at);
    await writes('6543210913000002', 'm_a13_4', 'STOP', at - 60_000);
    expect(await optedOut('6543210913000002')).toBe(false);
  });

  // API.md "Messages" / "Messaging channels": the window is 24 hours from the contact's last message. A
  // message stamped in the future (a sender's clock, garbage) kept the window open until then, and the
  // conversation first in every list: it was written when it arrived, not later.
  it('an inbound message stamped in the future opens the window from its arrival, not from its stamp', async () => {
    const arrived = Date.now();
    await hook(
      hooks.inboundText({ from: '14155550307', text: 'from the future', timestamp: nowSeconds() + 10 * 86_400 }),
    );
    await processed();
    await writes('6543210913000003', 'm_a13_5', 'from the future', arrived + 10 * 86_400_000);
    const later = Date.now() + 1000;
    for (const path of [
      `/api/whatsapp/conversations?subAccountId=${sub}&q=14155550307`,
      `/api/conversations?subAccountId=${sub}&q=6543210913000003`,
    ]) {
      const [conversation] = (await get(path, agent)).body.items as Array<Record<string, string>>;
      expect(Date.parse(conversation.lastInboundAt)).toBeGreaterThanOrEqual(arrived - 1000);
      expect(Date.parse(conversation.lastInboundAt)).toBeLessThanOrEqual(later);
      expect(Date.parse(conversation.windowOpenUntil)).toBeLessThanOrEqual(later + 86_400_000);
    }
  });
});
