// Audit 17 of API.md "WhatsApp": template parameters against the template's components, who a send's
// `to` names, and what a bulk send that Meta stops leaves behind. Each test failed on the code it was
// written against.
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { waitFor } from '../support/webhooks';
import { approvedTemplate, BULK_TEMPLATE, getBulk, seedLeads } from '../support/whatsapp-bulk';
import { startWhatsApp12, WABA, WhatsApp12, whatsApp12Helpers } from '../support/whatsapp-issue12-setup';

interface TemplateView {
  id: string;
  name: string;
  status: string;
  variables: Array<{ component: string; key: string; example: string }>;
}

describe('contract audit 17: WhatsApp', () => {
  let w: WhatsApp12;
  let fake: FakeWhatsAppGraph;
  let sub: number;
  let admin: string;
  let agent: string;
  const { post, get } = whatsApp12Helpers(() => w);

  const COUPON = 'a17_fall_coupon';
  const HELLO = 'a17_hello';

  const templateNamed = async (name: string): Promise<TemplateView | undefined> =>
    ((await get(`/api/whatsapp/templates?subAccountId=${sub}&q=${name}`, admin)).body.items as TemplateView[]).find(
      (i) => i.name === name && i.status === 'APPROVED',
    );

  beforeAll(async () => {
    w = await startWhatsApp12();
    ({ fake, sub, admin, agent } = w);
    fake.templates.add(WABA, {
      name: COUPON,
      language: 'en_US',
      category: 'MARKETING',
      components: [
        { type: 'HEADER', format: 'TEXT', text: 'Our Fall Sale is on!' },
        { type: 'BODY', text: 'Use code {{1}} to get {{2}} off', example: { body_text: [['25OFF', '25%']] } },
        {
          type: 'BUTTONS',
          buttons: [
            { type: 'QUICK_REPLY', text: 'Unsubscribe' },
            { type: 'COPY_CODE', text: 'Copy offer code', example: ['25OFF'] },
          ],
        },
      ],
    });
    fake.templates.add(WABA, {
      name: HELLO,
      language: 'en_US',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Hello {{1}}', example: { body_text: [['Ana']] } }],
    });
    expect((await post('/api/whatsapp/templates/sync', admin, { integrationId: w.integrationId })).status).toBe(202);
    await waitFor(async () => (await templateNamed(COUPON)) && (await templateNamed(HELLO)), 10_000, 'the sync');
  });
  afterAll(() => w?.close());

  /** The Graph request the worker made for one of our messages (our id is its biz_opaque_callback_data). */
  const sentToGraph = (messageId: string) =>
    waitFor(async () => fake.sends.find((s) => s.bizOpaqueCallbackData === messageId), 10_000, 'the send');

  // API.md "Messages": parameters are checked against the template (400 TEMPLATE_PARAMETERS_INVALID)
  // so that Meta never refuses them. A coupon template (Meta: "Coupon code templates", a MARKETING
  // template with one COPY_CODE button) takes its code at every send as a button parameter
  // { sub_type: COPY_CODE, parameters: [{ type: coupon_code, coupon_code }] }. The hub knew no such
  // button: `button.1` was refused as "no parameter button.1", and a send without it was accepted and
  // went to Meta without the code, so a synced coupon template could not be sent at all.
  it("a coupon template's COPY_CODE button takes the code as its parameter, and a send without it is 400", async () => {
    const row = await templateNamed(COUPON);
    if (!row) throw new Error('the coupon template was not synced');
    expect(row.variables).toEqual([
      { component: 'BODY', key: '1', example: '25OFF' },
      { component: 'BODY', key: '2', example: '25%' },
      { component: 'BUTTON', key: '1', example: '25OFF' },
    ]);
    const send = (to: string, parameters: Record<string, string>) =>
      post('/api/whatsapp/messages', agent, { subAccountId: sub, to, template: { id: row.id }, parameters });

    const without = await send('+14155551701', { '1': '25OFF', '2': '25%' });
    expect([without.status, without.body.code]).toEqual([400, 'TEMPLATE_PARAMETERS_INVALID']);
    expect(without.body.details.map((d: { field: string }) => d.field)).toEqual(['parameters.button.1']);
    // Meta takes letters and digits only
    for (const code of ['25 OFF', 'SAVE-25', '1234567890ABCDEF']) {
      const bad = await send('+14155551701', { '1': '25OFF', '2': '25%', 'button.1': code });
      expect([code, bad.status, bad.body.code]).toEqual([code, 400, 'TEMPLATE_PARAMETERS_INVALID']);
    }

    const ok = await send('+14155551701', { '1': 'FALL25', '2': '25%', 'button.1': 'FALL25' });
    expect(ok.status).toBe(202);
    const graph = await sentToGraph(ok.body.id as string);
    expect(graph.outcome).toBe('accepted');
    const template = (graph.body as { template: { components: unknown[] } }).template;
    expect(template.components).toEqual([
      {
        type: 'body',
        parameters: [
          { type: 'text', text: 'FALL25' },
          { type: 'text', text: '25%' },
        ],
      },
      {
        type: 'button',
        sub_type: 'COPY_CODE',
        index: '1',
        parameters: [{ type: 'coupon_code', coupon_code: 'FALL25' }],
      },
    ]);
  });

  // API.md "Messages": `to` is a phone or a wa_id; the DTO says "Phone (E.164 or national) or wa_id". Any run
  // of 8-15 digits was taken for a wa_id, so a US sub-account's agent typing a number as the CRM shows it
  // ('6502530000') queued a message to +6502530000 (no such number: Meta answers 131026 or sends it to
  // whoever holds that international number), and the contact got a conversation under that wrong phone.
  it('a run of digits that is no international number is read as a national one in the sub-account region', async () => {
    const conversationOf = async (id: string) =>
      (await get(`/api/whatsapp/conversations/${id}`, agent)).body as { contact: { phone: string } };
    const send = async (to: string) => {
      // a template: no window is open with these contacts
      const res = await post('/api/whatsapp/messages', agent, {
        subAccountId: sub,
        to,
        template: { name: HELLO, language: 'en_US' },
        parameters: { '1': 'Ana' },
      });
      expect(res.status).toBe(202);
      return res.body as { id: string; conversationId: string };
    };
    // the sub-account reads phones in the US (its default region)
    const national = await send('6502530000');
    expect((await conversationOf(national.conversationId)).contact.phone).toBe('+16502530000');
    expect((await sentToGraph(national.id)).waId).toBe('16502530000');
    // a wa_id (international digits) is still taken as given, a Brazilian one without its ninth digit too
    for (const [to, phone] of [
      ['14155550722', '+14155550722'],
      ['551187654321', '+551187654321'],
    ]) {
      const sent = await send(to);
      expect((await conversationOf(sent.conversationId)).contact.phone).toBe(phone);
    }
    // no country code starts with 0: a national number with its trunk prefix is no wa_id either
    const trunk = await post('/api/whatsapp/messages', agent, {
      subAccountId: sub,
      to: '0650253000',
      template: { name: HELLO, language: 'en_US' },
      parameters: { '1': 'Ana' },
    });
    expect([trunk.status, trunk.body.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  // API.md "Bulk sends": counts { total, pending, sent, delivered, read, failed, skipped }; a message is
  // queued until it is sent or fails. A bulk stops (status failed) when Meta refuses its template or its
  // sender for good: here the template Meta paused while the hub's row still read APPROVED (its webhook
  // missed; the fake answers 132001 for any template that is not APPROVED, Meta 132015 for a paused one:
  // both stop the bulk). The recipients not yet requested stayed `pending` for ever, and those a runner
  // had claimed kept their messages `queued` in the leads' timelines, though nothing would ever send them.
  it('a bulk stopped by a template Meta refuses leaves no recipient pending and no message queued', async () => {
    const templateId = await approvedTemplate(w.t.sql, fake, sub, w.integrationId);
    fake.templates.setStatus(WABA, BULK_TEMPLATE.name, BULK_TEMPLATE.language, 'PAUSED');
    const leadIds = await seedLeads(w.t.sql, sub, 150, 7_170_000);
    const created = await post('/api/whatsapp/bulk', admin, {
      subAccountId: sub,
      leadIds,
      template: { id: templateId },
      parameters: { '1': 'x' },
    });
    expect(created.status).toBe(202);
    const id = created.body.id as string;
    await waitFor(async () => (await getBulk(w.t, sub, id)).status === 'failed', 90_000, 'the bulk to stop');
    // the requests already out finish
    await waitFor(
      async () =>
        (
          await w.t.sql.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM whatsapp_bulk_recipients WHERE bulk_id = $1 AND state = 'claimed'`,
            [id],
          )
        ).rows[0].n === 0,
      90_000,
      'in-flight sends to finish',
    );
    const { counts } = await getBulk(w.t, sub, id);
    expect(counts.total).toBe(150);
    expect(counts.failed).toBeGreaterThan(0);
    expect(counts.sent).toBe(0);
    expect([counts.pending, counts.failed + counts.skipped]).toEqual([0, 150]);

    const skipped = await get(`/api/whatsapp/bulk/${id}/recipients?status=skipped&pageSize=200`, admin);
    const written = (skipped.body.items as Array<{ messageId: string | null }>).flatMap((r) =>
      r.messageId ? [r.messageId] : [],
    );
    // the case this guards: recipients claimed (their messages written) when the bulk stopped
    expect(written.length).toBeGreaterThan(0);
    const failed = await get(`/api/whatsapp/messages?subAccountId=${sub}&status=failed&pageSize=200`, admin);
    const byId = new Map((failed.body.items as Array<{ id: string; error: unknown }>).map((m) => [m.id, m]));
    for (const messageId of written)
      expect(byId.get(messageId)).toMatchObject({ error: expect.objectContaining({ title: 'bulk_failed' }) });
    const queued = await get(`/api/whatsapp/messages?subAccountId=${sub}&status=queued&pageSize=200`, admin);
    expect(queued.status).toBe(200);
    expect((queued.body.items as Array<{ bulkId: string | null }>).filter((m) => m.bulkId === id)).toEqual([]);
    // the waits above are generous: under the whole suite's load on 2 cores the stop took over 20 s
  }, 240_000);
});
