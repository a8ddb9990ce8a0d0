// Audit 19 of API.md "WhatsApp", outbound side: template rows kept in step with Meta when Meta says a
// template changed (a send refused for it, a failed status, the approval's category, an edit), and what an
// admin of another sub-account can reach. Each test but the last (a guard) failed on the code it was written
// against.
//
// Sources: Meta, "WhatsApp error codes" (developers.facebook.com/documentation/business-messaging/whatsapp/
// support/error-codes): 132001 "Template does not exist" (name or language), 132015 "Template is paused"
// (low quality), 132016 "Template is disabled" (paused too many times) — the template's status changed at
// Meta; errors come "synchronously, asynchronously via webhook, or both". Webhook references
// (…/whatsapp/webhooks/reference/): message_template_status_update (`event`, `message_template_category`:
// MARKETING | UTILITY | AUTHENTICATION), message_template_components_update ("a template is edited").
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { waitFor } from '../support/webhooks';
import { approvedTemplate, BULK_TEMPLATE, getBulk, seedLeads } from '../support/whatsapp-bulk';
import { startWhatsApp12, WABA, WhatsApp12, whatsApp12Helpers } from '../support/whatsapp-issue12-setup';

interface TemplateView {
  id: string;
  name: string;
  status: string;
  category: string;
}

describe('contract audit 19: WhatsApp outbound', () => {
  let w: WhatsApp12;
  let fake: FakeWhatsAppGraph;
  let sub: number;
  let admin: string;
  let agent: string;
  let stranger: string;
  const { post, get, hook, message, processed } = whatsApp12Helpers(() => w);

  const PROMO = 'a19_spring_promo';

  const templateNamed = async (name: string): Promise<TemplateView | undefined> =>
    ((await get(`/api/whatsapp/templates?subAccountId=${sub}&q=${name}`, admin)).body.items as TemplateView[]).find(
      (i) => i.name === name,
    );

  beforeAll(async () => {
    w = await startWhatsApp12();
    ({ fake, sub, admin, agent, stranger } = w);
    fake.templates.add(WABA, {
      name: PROMO,
      language: 'en_US',
      category: 'MARKETING',
      components: [{ type: 'BODY', text: 'Spring sale, {{1}}!', example: { body_text: [['Ana']] } }],
    });
    expect((await post('/api/whatsapp/templates/sync', admin, { integrationId: w.integrationId })).status).toBe(202);
    await waitFor(async () => (await templateNamed(PROMO))?.status === 'APPROVED', 10_000, 'the sync');
  });
  afterAll(() => w?.close());

  // API.md "Templates": rows kept in step with Meta and "updated at once by the message_template_status_update
  // webhook"; `category` is part of the row. Meta's webhook carries `message_template_category` (MARKETING,
  // UTILITY or AUTHENTICATION; …/webhooks/reference/message_template_status_update), and Meta may approve a
  // template under another category than the one submitted (…/templates/template-categorization). The hub
  // applied the status and dropped the category: the row read UTILITY while Meta charged and treated it as
  // MARKETING, so a contact who had stopped marketing messages was sent it (the opt-out only holds back
  // MARKETING templates; Meta then refuses with 131050).
  it("an approval that names another category than the one submitted sets the row's category", async () => {
    const name = 'a19_welcome_offer';
    const created = await post('/api/whatsapp/templates', admin, {
      integrationId: w.integrationId,
      name,
      language: 'en_US',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Welcome {{1}}, here is 10% off', example: { body_text: [['Ana']] } }],
    });
    expect([created.status, created.body.status, created.body.category]).toEqual([201, 'PENDING', 'UTILITY']);

    await hook(
      w.hooks.templateStatus({
        event: 'APPROVED',
        templateId: created.body.externalId as string,
        name,
        language: 'en_US',
        category: 'MARKETING',
      }),
    );
    await processed();
    const row = await waitFor(
      async () => {
        const found = await templateNamed(name);
        return found?.status === 'APPROVED' ? found : undefined;
      },
      10_000,
      'the approval',
    );
    expect(row.category).toBe('MARKETING');

    const phone = '+14155551911';
    const optOut = await post('/api/whatsapp/opt-outs', admin, { subAccountId: sub, phone, scope: 'marketing' });
    expect(optOut.status).toBe(201);
    const send = await post('/api/whatsapp/messages', agent, {
      subAccountId: sub,
      to: phone,
      template: { id: row.id },
      parameters: { '1': 'Ana' },
    });
    expect([send.status, send.body.code]).toEqual([422, 'RECIPIENT_OPTED_OUT']);
  });

  // Meta retries a webhook it could not deliver, so a template's approval can reach the hub after the quality
  // rating Meta sent later (message_template_quality_update). The rating dated the row's status: the approval,
  // older than it, was dropped as stale and the row stayed PENDING (every send 422) until the next reconcile.
  it('an approval delivered after a newer quality rating is still applied (the rating does not date the status)', async () => {
    const name = 'a19_late_approval';
    const created = await post('/api/whatsapp/templates', admin, {
      integrationId: w.integrationId,
      name,
      language: 'en_US',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Your order {{1}} is ready', example: { body_text: [['A-1']] } }],
    });
    expect([created.status, created.body.status]).toEqual([201, 'PENDING']);
    const templateId = created.body.externalId as string;
    // Meta's `time` is whole seconds: approved in the second the template was created, rated in the next one
    const approvedAt = Math.floor(Date.parse(created.body.createdAt as string) / 1000);
    while (Date.now() < (approvedAt + 2) * 1000) await new Promise((r) => setTimeout(r, 50));

    await hook(w.hooks.templateQuality({ templateId, name, language: 'en_US', score: 'GREEN', time: approvedAt + 1 }));
    await processed();
    await hook(w.hooks.templateStatus({ event: 'APPROVED', templateId, name, language: 'en_US', time: approvedAt }));
    await processed();

    const row = await waitFor(
      async () => {
        const found = await templateNamed(name);
        return found?.status === 'APPROVED' ? found : undefined;
      },
      10_000,
      'the late approval',
    );
    expect(row).toMatchObject({ status: 'APPROVED', category: 'UTILITY' });
    expect((row as TemplateView & { qualityScore: unknown }).qualityScore).toBe('GREEN');
  });

  // API.md "Templates": rows "kept in step with Meta"; "Messages": 422 TEMPLATE_NOT_APPROVED for a template that
  // is not APPROVED. Meta paused the template and its webhook never reached the hub: the first send went out and
  // Meta refused it (132001/132015). The row still read APPROVED until the next 30-minute reconcile, so every
  // agent's send in between was accepted (202 queued) and failed at Meta the same way, instead of 422 at once.
  it('a send Meta refuses because the template can no longer be sent brings the row in step: the next send is 422', async () => {
    const row = await templateNamed(PROMO);
    if (!row) throw new Error('the template was not synced');
    fake.templates.setStatus(WABA, PROMO, 'en_US', 'PAUSED');
    const send = () =>
      post('/api/whatsapp/messages', agent, {
        subAccountId: sub,
        to: '+14155551901',
        template: { id: row.id },
        parameters: { '1': 'Ana' },
      });

    const first = await send();
    expect(first.status).toBe(202);
    const failed = await waitFor(
      async () => {
        const m = (await get(`/api/whatsapp/messages?subAccountId=${sub}&status=failed`, admin)).body.items as Array<{
          id: string;
          error: { code: number | null } | null;
        }>;
        return m.find((i) => i.id === first.body.id);
      },
      10_000,
      'the refused send',
    );
    expect(failed.error?.code).toBe(132001);

    // Meta's refusal is news of the template: the row follows Meta's listing without waiting for the schedule
    await waitFor(
      async () => (await templateNamed(PROMO))?.status === 'PAUSED',
      10_000,
      'the template row to follow Meta',
    );
    const next = await send();
    expect([next.status, next.body.code]).toEqual([422, 'TEMPLATE_NOT_APPROVED']);
  });

  // Meta reports errors "synchronously, asynchronously via webhook, or both" (error-codes page): a template
  // paused after Meta accepted the send fails in the `failed` status webhook with 132015. The row must follow
  // Meta as it does for the same refusal in the send's answer.
  it('a failed status webhook saying the template is paused brings the row in step: the next send is 422', async () => {
    const name = 'a19_flash_sale';
    fake.templates.add(WABA, {
      name,
      language: 'en_US',
      category: 'MARKETING',
      components: [{ type: 'BODY', text: 'Flash sale today, {{1}}!', example: { body_text: [['Ana']] } }],
    });
    expect((await post('/api/whatsapp/templates/sync', admin, { integrationId: w.integrationId })).status).toBe(202);
    const row = await waitFor(
      async () => {
        const found = await templateNamed(name);
        return found?.status === 'APPROVED' ? found : undefined;
      },
      10_000,
      'the sync',
    );
    const send = () =>
      post('/api/whatsapp/messages', agent, {
        subAccountId: sub,
        to: '+14155551921',
        template: { id: row.id },
        parameters: { '1': 'Ana' },
      });
    const first = await send();
    expect(first.status).toBe(202);
    const sent = await waitFor(
      async () => fake.sends.find((s) => s.bizOpaqueCallbackData === first.body.id && s.outcome === 'accepted'),
      10_000,
      'the send',
    );
    await waitFor(async () => (await message(first.body.id as string))?.wamid === sent.wamid, 10_000, 'the wamid');

    fake.templates.setStatus(WABA, name, 'en_US', 'PAUSED');
    await hook(
      w.hooks.statuses([
        {
          id: sent.wamid,
          status: 'failed',
          timestamp: String(Math.floor(Date.now() / 1000)),
          recipient_id: sent.waId,
          errors: [
            {
              code: 132015,
              title: 'Template is Paused',
              message: 'Template is Paused',
              error_data: { details: 'Template is paused due to low quality' },
            },
          ],
        },
      ]),
    );
    await processed();
    expect(await message(first.body.id as string)).toMatchObject({ status: 'failed', error_code: 132015 });
    await waitFor(
      async () => (await templateNamed(name))?.status === 'PAUSED',
      10_000,
      'the template row to follow Meta',
    );
    const next = await send();
    expect([next.status, next.body.code]).toEqual([422, 'TEMPLATE_NOT_APPROVED']);
  });

  // The same news from a bulk send: the bulk stops (audit 17), and the template row follows Meta too, so the
  // next bulk with it is refused 422 TEMPLATE_NOT_APPROVED instead of being accepted and stopping again.
  it('a bulk stopped by a template Meta refuses brings the template row in step', async () => {
    const templateId = await approvedTemplate(w.t.sql, fake, sub, w.integrationId);
    fake.templates.setStatus(WABA, BULK_TEMPLATE.name, BULK_TEMPLATE.language, 'DISABLED');
    const leadIds = await seedLeads(w.t.sql, sub, 5, 7_190_000);
    const bulk = () =>
      post('/api/whatsapp/bulk', admin, {
        subAccountId: sub,
        leadIds,
        template: { id: templateId },
        parameters: { '1': 'x' },
      });
    const created = await bulk();
    expect(created.status).toBe(202);
    await waitFor(
      async () => (await getBulk(w.t, sub, created.body.id as string)).status === 'failed',
      20_000,
      'the bulk to stop',
    );

    await waitFor(
      async () => (await templateNamed(BULK_TEMPLATE.name))?.status === 'DISABLED',
      10_000,
      'the template row to follow Meta',
    );
    const again = await bulk();
    expect([again.status, again.body.code]).toEqual([422, 'TEMPLATE_NOT_APPROVED']);
  });

  // API.md "Templates": rows kept in step with Meta; "Messages": parameters are checked against the template
  // (400 TEMPLATE_PARAMETERS_INVALID). Meta lets an approved template be edited and tells of it with the
  // message_template_components_update webhook ("Triggers: a template is edited", …/webhooks/reference/
  // message_template_components_update). The hub dropped that field: until the next 30-minute reconcile it
  // refused the edited template's new parameter as unknown and built sends with the old ones (Meta: 132000).
  it("an edited template's components_update webhook brings its new components: the new parameters are taken", async () => {
    const name = 'a19_reminder';
    const template = fake.templates.add(WABA, {
      name,
      language: 'en_US',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Reminder for {{1}}', example: { body_text: [['Ana']] } }],
    });
    expect((await post('/api/whatsapp/templates/sync', admin, { integrationId: w.integrationId })).status).toBe(202);
    const row = await waitFor(
      async () => {
        const found = await templateNamed(name);
        return found?.status === 'APPROVED' ? found : undefined;
      },
      10_000,
      'the sync',
    );
    const send = (parameters: Record<string, string>) =>
      post('/api/whatsapp/messages', agent, {
        subAccountId: sub,
        to: '+14155551941',
        template: { id: row.id },
        parameters,
      });
    expect((await send({ '1': 'Ana', '2': 'Friday' })).status).toBe(400);

    // edited in WhatsApp Manager: a second variable
    template.components = [
      { type: 'BODY', text: 'Reminder for {{1}} on {{2}}', example: { body_text: [['Ana', 'Friday']] } },
    ];
    await hook(
      w.hooks.sign({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: WABA,
            time: Math.floor(Date.now() / 1000),
            changes: [
              {
                field: 'message_template_components_update',
                value: {
                  message_template_id: Number(template.id),
                  message_template_name: name,
                  message_template_language: 'en_US',
                  message_template_element: 'Reminder for {{1}} on {{2}}',
                },
              },
            ],
          },
        ],
      }),
    );
    await processed();
    const edited = await waitFor(
      async () => {
        const found = (await get(`/api/whatsapp/templates?subAccountId=${sub}&q=${name}`, admin)).body.items as Array<{
          name: string;
          variables: Array<{ key: string }>;
        }>;
        const one = found.find((i) => i.name === name);
        return one && one.variables.length === 2 ? one : undefined;
      },
      10_000,
      "the template row to take Meta's edit",
    );
    expect(edited.variables.map((v) => v.key)).toEqual(['1', '2']);
    const sent = await send({ '1': 'Ana', '2': 'Friday' });
    expect(sent.status).toBe(202);
    const graph = await waitFor(
      async () => fake.sends.find((s) => s.bizOpaqueCallbackData === sent.body.id),
      10_000,
      'the send',
    );
    expect(graph.outcome).toBe('accepted');
  });

  // API.md "Authentication and roles": a record of a sub-account the caller may not act on is 404 (never
  // revealed), an explicit subAccountId 403. An admin of another sub-account tries every outbound route.
  it("another sub-account's admin can neither see nor touch this sub-account's templates, sends, bulks or opt-outs", async () => {
    const del = (path: string, token: string) => w.t.http.delete(path).set('authorization', token);
    const row = await templateNamed(PROMO);
    if (!row) throw new Error('the template was not synced');
    const leadIds = await seedLeads(w.t.sql, sub, 2, 7_191_000);
    const hello = 'a19_hello';
    fake.templates.add(WABA, {
      name: hello,
      language: 'en_US',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Hello {{1}}', example: { body_text: [['Ana']] } }],
    });
    expect((await post('/api/whatsapp/templates/sync', admin, { integrationId: w.integrationId })).status).toBe(202);
    const helloRow = await waitFor(
      async () => {
        const found = await templateNamed(hello);
        return found?.status === 'APPROVED' ? found : undefined;
      },
      10_000,
      'the sync',
    );
    // a bulk that waits for its start: it stays queued unless someone acts on it
    const bulk = await post('/api/whatsapp/bulk', admin, {
      subAccountId: sub,
      leadIds,
      template: { id: helloRow.id },
      parameters: { '1': 'x' },
      scheduledAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(bulk.status).toBe(202);
    const optOut = await post('/api/whatsapp/opt-outs', admin, {
      subAccountId: sub,
      phone: '+14155551931',
      scope: 'all',
    });
    expect(optOut.status).toBe(201);

    const explicit = [
      await get(`/api/whatsapp/templates?subAccountId=${sub}`, stranger),
      await get(`/api/whatsapp/messages?subAccountId=${sub}`, stranger),
      await get(`/api/whatsapp/bulk?subAccountId=${sub}`, stranger),
      await get(`/api/whatsapp/opt-outs?subAccountId=${sub}`, stranger),
      await post('/api/whatsapp/messages', stranger, {
        subAccountId: sub,
        to: '+14155551932',
        template: { id: helloRow.id },
        parameters: { '1': 'x' },
      }),
      await post('/api/whatsapp/bulk', stranger, { subAccountId: sub, leadIds, template: { id: helloRow.id } }),
      await post('/api/whatsapp/opt-outs', stranger, { subAccountId: sub, phone: '+14155551933', scope: 'all' }),
    ];
    expect(explicit.map((r) => [r.status, r.body.code])).toEqual(explicit.map(() => [403, 'FORBIDDEN']));

    const records = [
      await del(`/api/whatsapp/templates/${helloRow.id}`, stranger),
      await post('/api/whatsapp/templates/sync', stranger, { integrationId: w.integrationId }),
      await post('/api/whatsapp/templates', stranger, {
        integrationId: w.integrationId,
        name: 'a19_stranger',
        language: 'en_US',
        category: 'UTILITY',
        components: [{ type: 'BODY', text: 'Hi' }],
      }),
      await get(`/api/whatsapp/bulk/${bulk.body.id as string}`, stranger),
      await get(`/api/whatsapp/bulk/${bulk.body.id as string}/recipients`, stranger),
      await post(`/api/whatsapp/bulk/${bulk.body.id as string}/cancel`, stranger, {}),
      await post(`/api/whatsapp/bulk/${bulk.body.id as string}/pause`, stranger, {}),
      await del(`/api/whatsapp/opt-outs/${optOut.body.id as string}`, stranger),
    ];
    expect(records.map((r) => [r.status, r.body.code])).toEqual(records.map(() => [404, 'NOT_FOUND']));

    // their own lists hold nothing of this sub-account
    for (const path of [
      '/api/whatsapp/templates',
      '/api/whatsapp/messages',
      '/api/whatsapp/bulk',
      '/api/whatsapp/opt-outs',
    ])
      expect((await get(path, stranger)).body.items).toEqual([]);
    // and nothing changed
    expect((await templateNamed(hello))?.status).toBe('APPROVED');
    expect((await getBulk(w.t, sub, bulk.body.id as string)).status).toBe('queued');
    const optOuts = (await get(`/api/whatsapp/opt-outs?subAccountId=${sub}`, admin)).body.items as Array<{
      id: string;
    }>;
    expect(optOuts.map((o) => o.id)).toContain(optOut.body.id);
    expect((await post(`/api/whatsapp/bulk/${bulk.body.id as string}/cancel`, admin, {})).status).toBe(200);
  });
});
