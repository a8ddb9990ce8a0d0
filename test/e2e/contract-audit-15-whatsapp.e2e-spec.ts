// Audit 15 of API.md "WhatsApp" and "Messaging channels": template sync with Meta, conversation search,
// bulk cancel during a run. Each test failed on the code it was written against.
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { WhatsAppWebhooks } from '../support/fakes/whatsapp-webhooks';
import { connectMessengerPage, messengerWrites } from '../support/messenger-page';
import { TestApp } from '../support/test-app';
import { eventsSettled, waitFor } from '../support/webhooks';
import { BulkSetup, getBulk, phoneOf, seedLeads, whatsAppSetup } from '../support/whatsapp-bulk';
import { setupWhatsAppBulk } from '../support/whatsapp-bulk-setup';
import { startWhatsApp12, WABA, WhatsApp12, whatsApp12Helpers } from '../support/whatsapp-issue12-setup';

interface TemplateView {
  id: string;
  externalId: string | null;
  name: string;
  status: string;
  variables: Array<{ component: string; key: string }>;
  lastSyncedAt: string | null;
}

describe('contract audit 15: WhatsApp', () => {
  let w: WhatsApp12;
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let hooks: WhatsAppWebhooks;
  let sub: number;
  let admin: string;
  let agent: string;
  const { post, get, hook, processed } = whatsApp12Helpers(() => w);

  const page = {
    pageId: '104620413301515',
    pageAccessToken: 'EAAG-audit15',
    appSecret: 'audit15-secret',
    verifyToken: 'v15',
  };
  const writes = messengerWrites(() => t, page);

  beforeAll(async () => {
    w = await startWhatsApp12();
    ({ t, fake, hooks, sub, admin, agent } = w);
    await connectMessengerPage(t, sub, page);
  });
  afterAll(() => w?.close());

  const templateNamed = async (name: string): Promise<TemplateView | undefined> =>
    ((await get(`/api/whatsapp/templates?subAccountId=${sub}&q=${name}`, admin)).body.items as TemplateView[]).find(
      (i) => i.name === name,
    );

  // API.md "Templates": rows kept in step with Meta, "updated at once by the message_template_status_update
  // webhook". Meta frees a deleted template's name for a new template, with a new id and its own
  // components. Its APPROVED webhook found the old row by name and approved it: the hub sent the old
  // template's parameters (one) for the new one (two) and Meta refused every send with 132000.
  it("a template re-created at Meta under a deleted one's name: its approval brings the new template, not the old", async () => {
    const name = 'a15_welcome';
    const old = fake.templates.add(WABA, {
      name,
      language: 'en_US',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Hi {{1}}', example: { body_text: [['Ana']] } }],
    });
    const sync = async () => {
      const res = await post('/api/whatsapp/templates/sync', admin, { integrationId: w.integrationId });
      expect(res.status).toBe(202);
    };
    await sync();
    await waitFor(async () => (await templateNamed(name))?.status === 'APPROVED', 10_000, 'the first sync');
    // deleted in WhatsApp Manager: the reconcile marks the row DELETED
    fake.templates.delete(WABA, new URLSearchParams({ name }));
    await sync();
    await waitFor(async () => (await templateNamed(name))?.status === 'DELETED', 10_000, 'the deletion');

    // the name is used again: a new template (new id, two variables), approved
    const again = fake.templates.add(WABA, {
      name,
      language: 'en_US',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Hi {{1}}, your code is {{2}}', example: { body_text: [['Ana', '42']] } }],
    });
    expect(again.id).not.toBe(old.id);
    await hook(hooks.templateStatus({ event: 'APPROVED', templateId: again.id, name, language: 'en_US' }));
    await processed();
    const row = await waitFor(
      async () => {
        const found = await templateNamed(name);
        return found?.status === 'APPROVED' ? found : undefined;
      },
      10_000,
      'the approval',
    );
    expect(row.externalId).toBe(again.id);
    expect(row.variables.map((v) => `${v.component}:${v.key}`)).toEqual(['BODY:1', 'BODY:2']);
    const send = (parameters: Record<string, string>) =>
      post('/api/whatsapp/messages', agent, {
        subAccountId: sub,
        to: '+14155551501',
        template: { id: row.id },
        parameters,
      });
    const short = await send({ '1': 'Ana' });
    expect([short.status, short.body.code]).toEqual([400, 'TEMPLATE_PARAMETERS_INVALID']);
    expect((await send({ '1': 'Ana', '2': '42' })).status).toBe(202);
  });

  // API.md "Templates": rows kept in step with Meta by the webhook "at once" and by the reconcile. A
  // reconcile whose listing was read before an approval wrote the listing's PENDING over the webhook's
  // newer APPROVED: sends were refused 422 TEMPLATE_NOT_APPROVED until the next reconcile (30 minutes).
  it('a reconcile listing read before an approval does not undo the approval the webhook applied meanwhile', async () => {
    const name = 'a15_race';
    const created = await post('/api/whatsapp/templates', admin, {
      integrationId: w.integrationId,
      name,
      language: 'en_US',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Hello {{1}}', example: { body_text: [['Ana']] } }],
    });
    expect([created.status, created.body.status]).toEqual([201, 'PENDING']);
    const meta = fake.templates.find(WABA, name, 'en_US');
    if (!meta) throw new Error('the fake has no template');
    // Meta's listing answers slowly: it is read (PENDING) and arrives after the approval
    const page = fake.templates.page.bind(fake.templates);
    let listed = false;
    fake.templates.page = (waba, query) => {
      listed = true;
      // what Meta lists now, answered later
      const now = JSON.parse(JSON.stringify(page(waba, query))) as ReturnType<typeof page>;
      return { ...now, delayMs: 2000 };
    };
    try {
      const sync = await post('/api/whatsapp/templates/sync', admin, { integrationId: w.integrationId });
      expect(sync.status).toBe(202);
      await waitFor(async () => listed, 10_000, 'the listing to be read');
      fake.templates.setStatus(WABA, name, 'en_US', 'APPROVED');
      await hook(hooks.templateStatus({ event: 'APPROVED', templateId: meta.id, name, language: 'en_US' }));
      await processed();
      expect((await templateNamed(name))?.status).toBe('APPROVED');
      // the reconcile ends with the listing it read
      const before = await templateNamed(name);
      await waitFor(
        async () => (await templateNamed(name))?.lastSyncedAt !== before?.lastSyncedAt,
        10_000,
        'the reconcile to finish',
      );
    } finally {
      fake.templates.page = page;
    }
    expect((await templateNamed(name))?.status).toBe('APPROVED');
  });

  // API.md "Conversations": `GET /api/whatsapp/conversations?…&q=` (and GET /api/conversations). A phone
  // written as people write it (spaces, dashes, brackets), or the E.164 number a lead's form gave for a
  // contact whose wa_id is Brazil's older form without the ninth digit, found nothing: only the stored
  // text was compared.
  it('q finds a contact by its phone written another way', async () => {
    await hook(hooks.inboundText({ from: '551187651515', name: 'Bia Audit', text: 'oi' }));
    await processed();
    await eventsSettled(t);
    for (const q of ['+55 11 8765-1515', '+5511987651515', '+55 (11) 98765-1515', '11 98765-1515', 'bia audit'])
      for (const route of ['/api/whatsapp/conversations', '/api/conversations']) {
        const res = await get(`${route}?subAccountId=${sub}&q=${encodeURIComponent(q)}`, agent);
        expect({
          q,
          route,
          status: res.status,
          waIds: res.body.items.map((c: { contact: { waId: string } }) => c.contact.waId),
        }).toEqual({
          q,
          route,
          status: 200,
          waIds: ['551187651515'],
        });
      }
    // another number is not found by a part of this one's digits that it does not share
    const none = await get(
      `/api/whatsapp/conversations?subAccountId=${sub}&q=${encodeURIComponent('+1 999 555')}`,
      agent,
    );
    expect(none.body.total).toBe(0);
  });

  // API.md "Messaging channels": Messenger and Instagram "share the WhatsApp conversation and message
  // model". A WhatsApp reply clears the conversation's `unread`; a Messenger reply through POST
  // /api/messages left it counting the person's messages already answered.
  it('an agent reply clears unread on Messenger as it does on WhatsApp', async () => {
    const unreadOf = async (path: string) =>
      ((await get(path, agent)).body.items as Array<{ id: string; unread: number }>)[0];
    await hook(hooks.inboundText({ from: '14155551502', name: 'Wa Unread', text: 'one' }));
    await hook(hooks.inboundText({ from: '14155551502', name: 'Wa Unread', text: 'two' }));
    await processed();
    await writes('6543210915000001', 'm_a15_1', 'one');
    await writes('6543210915000001', 'm_a15_2', 'two');
    const wa = await unreadOf(`/api/conversations?subAccountId=${sub}&channel=whatsapp&q=14155551502`);
    const ms = await unreadOf(`/api/conversations?subAccountId=${sub}&channel=messenger&q=6543210915000001`);
    expect([wa.unread, ms.unread]).toEqual([2, 2]);
    for (const [channel, conversation] of [
      ['whatsapp', wa],
      ['messenger', ms],
    ] as const) {
      const reply = await post('/api/messages', agent, {
        subAccountId: sub,
        channel,
        conversationId: conversation.id,
        text: 'Thanks, on it',
      });
      expect([channel, reply.status]).toEqual([channel, 202]);
    }
    expect((await unreadOf(`/api/conversations?subAccountId=${sub}&channel=whatsapp&q=14155551502`)).unread).toBe(0);
    expect((await unreadOf(`/api/conversations?subAccountId=${sub}&channel=messenger&q=6543210915000001`)).unread).toBe(
      0,
    );
  });
});

describe('contract audit 15: WhatsApp bulk cancel during a run', () => {
  let close: () => Promise<void>;
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let slow: BulkSetup;

  beforeAll(async () => {
    const fixture = await setupWhatsAppBulk();
    ({ t, fake, close } = fixture);
    // two messages a second: the run is still going when it is cancelled
    slow = await whatsAppSetup(t, fake, { phoneNumberId: '106540352241515', messagesPerSecond: 2 });
  });
  afterAll(() => close?.());

  // API.md "Bulk sends": cancel → 200, "pending recipients become `skipped`". Recipients the runner had
  // already claimed had their message rows written (`queued`, in the lead's timeline); the cancel
  // skipped the recipients and left those messages `queued` for good: never sent, never failed.
  it('cancel during a run: no message is left queued, and the counts add up', async () => {
    const manager = `Bearer ${t.token('MANAGER', [slow.subAccountId])}`;
    const leadIds = await seedLeads(t.sql, slow.subAccountId, 12, 7_150_000);
    const phones = leadIds.map((_, i) => phoneOf(7_150_000 + i)).map((p) => p.replace(/[^0-9]/g, ''));
    const sent = () => fake.accepted('106540352241515').filter((s) => phones.includes(s.to.replace(/[^0-9]/g, '')));
    const created = await t.http
      .post('/api/whatsapp/bulk')
      .set('authorization', manager)
      .send({ subAccountId: slow.subAccountId, leadIds, template: { id: slow.templateId }, parameters: { '1': 'x' } });
    expect(created.status).toBe(202);
    const id = created.body.id as string;
    await waitFor(async () => sent().length >= 1, 20_000, 'the first send');
    const cancelled = await t.http.post(`/api/whatsapp/bulk/${id}/cancel`).set('authorization', manager);
    expect([cancelled.status, cancelled.body.status]).toEqual([200, 'cancelled']);
    // requests already out finish; nothing is claimed any more
    await waitFor(
      async () =>
        (
          await t.sql.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM whatsapp_bulk_recipients WHERE bulk_id = $1 AND state = 'claimed'`,
            [id],
          )
        ).rows[0].n === 0,
      20_000,
      'in-flight sends to finish',
    );
    const atCancel = sent().length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(sent()).toHaveLength(atCancel);

    const view = await getBulk(t, slow.subAccountId, id);
    const c = view.counts;
    expect(c.total).toBe(12);
    expect(c.pending).toBe(0);
    expect(c.pending + c.sent + c.failed + c.skipped + c.unknown).toBe(c.total);
    expect(c.skipped).toBeGreaterThan(0);
    expect(c.sent).toBe(atCancel);

    const skipped = await t.http
      .get(`/api/whatsapp/bulk/${id}/recipients?status=skipped`)
      .set('authorization', manager);
    const withMessage = (skipped.body.items as Array<{ messageId: string | null }>).filter((r) => r.messageId);
    // the case this guards: recipients claimed (their messages written) before the cancel
    expect(withMessage.length).toBeGreaterThan(0);
    // queued and never handed to Meta (no wamid): none; the ones Meta accepted wait for its `sent` status
    const queued = await t.http
      .get(`/api/whatsapp/messages?subAccountId=${slow.subAccountId}&status=queued&pageSize=200`)
      .set('authorization', manager);
    expect(queued.status).toBe(200);
    expect((queued.body.items as Array<{ wamid: string | null }>).filter((m) => m.wamid === null)).toEqual([]);
    const failed = await t.http
      .get(`/api/whatsapp/messages?subAccountId=${slow.subAccountId}&status=failed&pageSize=200`)
      .set('authorization', manager);
    const byId = new Map((failed.body.items as Array<{ id: string; error: unknown }>).map((m) => [m.id, m]));
    for (const r of withMessage)
      expect(byId.get(r.messageId ?? '')).toMatchObject({ error: expect.objectContaining({ title: 'cancelled' }) });
  });
});
