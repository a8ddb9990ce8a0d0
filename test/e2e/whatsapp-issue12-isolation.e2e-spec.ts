// Part of issue 12's WhatsApp spec (header in whatsapp-issue12-sends.e2e-spec.ts): analytics days in
// the sub-account's zone, template create refusals, and tenant isolation and roles on every route.
import { createSubAccount } from '../support/factories';
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { WhatsAppWebhooks } from '../support/fakes/whatsapp-webhooks';
import { TestApp } from '../support/test-app';
import { WhatsApp12, startWhatsApp12, whatsApp12Helpers, WABA, BODY } from '../support/whatsapp-issue12-setup';

describe('WhatsApp (issue 12)', () => {
  let w: WhatsApp12;
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let hooks: WhatsAppWebhooks;
  let sub: number;
  let integrationId: number;
  let admin: string;
  let agent: string;
  let stranger: string;
  const { post, get, hook, processed } = whatsApp12Helpers(() => w);

  beforeAll(async () => {
    w = await startWhatsApp12();
    ({ t, fake, hooks, sub, integrationId, admin, agent, stranger } = w);
  });
  afterAll(() => w?.close());

  // the isolation test (last here) reads a conversation, a template and an opt-out of the sub-account, which
  // in the whole spec earlier tests had made: this part makes its own (the template is the refusals test's all_fields)
  beforeAll(async () => {
    await hook(hooks.inboundText({ from: '14155550188', name: 'Iso', text: 'hello' }));
    await processed();
    const opt = await post('/api/whatsapp/opt-outs', admin, { subAccountId: sub, waId: '14155550189', scope: 'all' });
    expect(opt.status).toBe(201);
  });

  it("analytics reads dates as whole days in the sub-account's time zone, as the analytics routes do", async () => {
    const kolkata = await createSubAccount(t, 'MAX', 'Kolkata Co');
    const owner = `Bearer ${t.token('ADMIN', [kolkata])}`;
    const zone = await t.http
      .patch(`/api/sub-accounts/${kolkata}`)
      .set('authorization', owner)
      .send({ timezone: 'Asia/Kolkata' });
    expect(zone.status).toBe(200);
    const res = await get(`/api/whatsapp/analytics?subAccountId=${kolkata}&from=2026-01-10&to=2026-01-11`, owner);
    expect(res.status).toBe(200);
    expect([res.body.from, res.body.to]).toEqual(['2026-01-09T18:30:00.000Z', '2026-01-11T18:29:59.999Z']);
    // the default is the last 30 local days, today included
    const recent = await get(`/api/whatsapp/analytics?subAccountId=${kolkata}`, owner);
    expect(Date.parse(recent.body.to) - Date.parse(recent.body.from) + 1).toBe(30 * 86_400_000);
    expect(recent.body.from.endsWith('T18:30:00.000Z')).toBe(true);
    // an instant without its offset means different things per zone: refused
    expect((await get(`/api/whatsapp/analytics?subAccountId=${kolkata}&from=2026-01-10T10:00`, owner)).status).toBe(
      400,
    );
  });

  it('template create: an unknown field inside a component, an example or a button is 400, never stored or sent to Meta', async () => {
    const base = { integrationId, language: 'en_US', category: 'UTILITY' };
    const buttons = { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'OK' }] };
    const cases: Array<[string, object[], string]> = [
      ['typo_body', [{ ...BODY, txet: 'Hi' }], 'components[0].txet'],
      [
        'typo_example',
        [{ ...BODY, example: { body_text: [['Ana', 'A-1']], bodytext: [['x']] } }],
        'components[0].example.bodytext',
      ],
      ['typo_footer', [BODY, { type: 'FOOTER', text: 'Thanks', colour: 'red' }], 'components[1].colour'],
      ['typo_header', [{ type: 'HEADER', format: 'TEXT', text: 'Hi', size: 2 }, BODY], 'components[0].size'],
      [
        'typo_button',
        [BODY, { ...buttons, buttons: [{ type: 'QUICK_REPLY', text: 'OK', url: 'https://x.example' }] }],
        'components[1].buttons[0].url',
      ],
      ['typo_buttons', [BODY, { ...buttons, layout: 'row' }], 'components[1].layout'],
    ];
    for (const [name, components, path] of cases) {
      const res = await post('/api/whatsapp/templates', admin, { ...base, name, components });
      expect({ name, status: res.status, code: res.body.code }).toEqual({
        name,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
      expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: path })]));
      expect(fake.templates.find(WABA, name, 'en_US')).toBeUndefined();
    }
    expect((await get(`/api/whatsapp/templates?subAccountId=${sub}&q=typo_`, admin)).body.total).toBe(0);
    // every field Meta defines for these components is still taken
    const full = await post('/api/whatsapp/templates', admin, {
      ...base,
      name: 'all_fields',
      components: [
        { type: 'HEADER', format: 'TEXT', text: 'Order {{1}}', example: { header_text: ['A-1'] } },
        BODY,
        { type: 'FOOTER', text: 'Thanks' },
        {
          type: 'BUTTONS',
          buttons: [
            { type: 'URL', text: 'Track', url: 'https://x.example/t/{{1}}', example: ['https://x.example/t/A-1'] },
            { type: 'PHONE_NUMBER', text: 'Call', phone_number: '+14155550100' },
          ],
        },
      ],
    });
    expect(full.status).toBe(201);
  });

  it('tenant isolation and roles on every route', async () => {
    const conv = (await get(`/api/whatsapp/conversations?subAccountId=${sub}`, admin)).body.items[0];
    const tpl = (await get(`/api/whatsapp/templates?subAccountId=${sub}`, admin)).body.items[0];
    const opt = (await get(`/api/whatsapp/opt-outs?subAccountId=${sub}`, admin)).body.items[0];
    // a valid token for another sub-account: 404 for records, 403 for an explicit subAccountId, never data
    expect((await get(`/api/whatsapp/conversations/${conv.id}`, stranger)).status).toBe(404);
    expect((await post(`/api/whatsapp/conversations/${conv.id}/link`, stranger, { leadId: '1' })).status).toBe(404);
    expect(
      (await t.http.delete(`/api/whatsapp/conversations/${conv.id}/link`).set('authorization', stranger)).status,
    ).toBe(404);
    expect((await post(`/api/whatsapp/conversations/${conv.id}/capture-lead`, stranger, {})).status).toBe(404);
    expect((await t.http.delete(`/api/whatsapp/templates/${tpl.id}`).set('authorization', stranger)).status).toBe(404);
    expect((await t.http.delete(`/api/whatsapp/opt-outs/${opt.id}`).set('authorization', stranger)).status).toBe(404);
    expect((await post('/api/whatsapp/templates/sync', stranger, { integrationId })).status).toBe(404);
    expect(
      (
        await post('/api/whatsapp/templates', stranger, {
          integrationId,
          name: 'x_y',
          language: 'en',
          category: 'UTILITY',
          components: [BODY],
        })
      ).status,
    ).toBe(404);
    for (const path of ['conversations', 'messages', 'templates', 'opt-outs', 'analytics'])
      expect((await get(`/api/whatsapp/${path}?subAccountId=${sub}`, stranger)).status).toBe(403);
    expect(
      (await post('/api/whatsapp/messages', stranger, { subAccountId: sub, to: '+14155550111', text: 'x' })).status,
    ).toBe(403);
    expect((await post('/api/whatsapp/conversations/auto-link', stranger, { subAccountId: sub })).status).toBe(403);
    expect(
      (await post('/api/whatsapp/opt-outs', stranger, { subAccountId: sub, waId: '14155550100', scope: 'all' })).status,
    ).toBe(403);
    // lists without a subAccountId show only the caller's own
    for (const path of ['conversations', 'messages', 'templates', 'opt-outs'])
      expect((await get(`/api/whatsapp/${path}`, stranger)).body.total).toBe(0);
    // roles: agents may not manage templates or opt-outs
    expect((await post('/api/whatsapp/templates/sync', agent, { integrationId })).status).toBe(403);
    expect((await t.http.delete(`/api/whatsapp/templates/${tpl.id}`).set('authorization', agent)).status).toBe(403);
    expect((await get(`/api/whatsapp/opt-outs?subAccountId=${sub}`, agent)).status).toBe(403);
    expect(
      (await post('/api/whatsapp/opt-outs', agent, { subAccountId: sub, waId: '14155550100', scope: 'all' })).status,
    ).toBe(403);
  });
});
