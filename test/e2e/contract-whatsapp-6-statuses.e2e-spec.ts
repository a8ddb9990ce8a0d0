// Part of the API.md WhatsApp audit 6 (header in contract-whatsapp-6-fields.e2e-spec.ts): named parameters,
// captures and failures, and statuses, windows and bulk filters over time.
import { createIntegration, createSubAccount, WHATSAPP_CONFIG } from '../support/factories';
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { TestApp } from '../support/test-app';
import { deliver, statusOf } from '../support/fakes/whatsapp-webhooks';
import { activate } from '../support/webhooks';
import { approvedTemplate, BulkSetup, seedLead } from '../support/whatsapp-bulk';
import { Audit6, audit6Helpers, startAudit6, DIGITS, fieldsOf, ISO } from '../support/contract-whatsapp-6-setup';

describe('API.md contract: WhatsApp (audit 6, black box)', () => {
  let w: Audit6;
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let s: BulkSetup;
  let sub: number;
  let leadId: string;
  const { bearer, call, conversation } = audit6Helpers(() => w);

  beforeAll(async () => {
    w = await startAudit6();
    ({ t, fake, s, sub, leadId } = w);
  });
  afterAll(() => w.close());

  describe('named parameters, captures, failures (API.md: `{ "first_name": "Ana" }` (named))', () => {
    const until = async <T>(read: () => Promise<T | undefined>, what: string): Promise<T> => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const value = await read();
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };

    it('a template with {{first_name}} is NAMED; once approved it sends with named parameters and refuses positional ones', async () => {
      const manager = bearer('MANAGER');
      const created = await call('post', '/api/whatsapp/templates', manager, {
        integrationId: s.integrationId,
        name: 'named_greeting',
        language: 'en_US',
        category: 'UTILITY',
        components: [
          {
            type: 'BODY',
            text: 'Hi {{first_name}}',
            example: { body_text_named_params: [{ param_name: 'first_name', example: 'Ana' }] },
          },
        ],
      });
      expect([created.status, created.body.details]).toEqual([201, undefined]);
      expect(created.body).toMatchObject({
        parameterFormat: 'NAMED',
        variables: [{ component: 'BODY', key: 'first_name', example: 'Ana' }],
      });
      fake.templates.setStatus(WHATSAPP_CONFIG.wabaId, 'named_greeting', 'en_US', 'APPROVED');
      await call('post', '/api/whatsapp/templates/sync', manager, { integrationId: s.integrationId });
      await until(async () => {
        const res = await call('get', `/api/whatsapp/templates?subAccountId=${sub}&q=named_greeting`, bearer('AGENT'));
        return res.body.total === 1 ? true : undefined;
      }, 'named template approved');
      const agent = bearer('AGENT');
      const positional = await call('post', '/api/whatsapp/messages', agent, {
        subAccountId: sub,
        leadId,
        template: { id: created.body.id },
        parameters: { '1': 'Ana' },
      });
      expect([positional.status, positional.body.code]).toEqual([400, 'TEMPLATE_PARAMETERS_INVALID']);
      const before = fake.sends.length;
      const named = await call('post', '/api/whatsapp/messages', agent, {
        subAccountId: sub,
        leadId,
        template: { name: 'named_greeting', language: 'en_US' },
        parameters: { first_name: '{{lead.firstName}}' },
      });
      expect(named.status).toBe(202);
      const send = await until(
        async () => fake.sends.slice(before).find((x) => x.bizOpaqueCallbackData === named.body.id),
        'named send at Meta',
      );
      expect(JSON.stringify(send.body)).toContain('"parameter_name":"first_name"');
      expect(JSON.stringify(send.body)).toContain('Audit Six');
    });

    it('capture-lead: 201 with a lead whose source is whatsapp, then 200 with the same lead; auto-link counts', async () => {
      const agent = bearer('AGENT');
      const convId = await conversation(sub, s.integrationId, '14155550691', 5);
      const first = await call('post', `/api/whatsapp/conversations/${convId}/capture-lead`, agent, {
        fullName: 'Captured Six',
        email: 'captured.six@example.com',
      });
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ id: expect.stringMatching(DIGITS), phone: '+14155550691' });
      expect(JSON.stringify(first.body.sourceTracking)).toContain('whatsapp');
      const again = await call('post', `/api/whatsapp/conversations/${convId}/capture-lead`, agent, {});
      expect([again.status, again.body.id]).toEqual([200, first.body.id]);
      const conv = await call('get', `/api/whatsapp/conversations/${convId}`, agent);
      expect(conv.body.leadId).toBe(first.body.id);

      const lonely = await createSubAccount(t, 'MAX', 'Auto Link Six');
      const wa = await createIntegration(t, lonely, 'whatsapp-cloud', {
        ...WHATSAPP_CONFIG,
        phoneNumberId: '106540352242969',
      });
      await activate(t, lonely, wa.id);
      const lead = await call('post', '/api/leads', bearer('AGENT', [lonely]), {
        subAccountId: lonely,
        fullName: 'Match Six',
        phone: '+14155550692',
      });
      expect(lead.status).toBe(201);
      const match = lead.body.id as string;
      await conversation(lonely, wa.id, '14155550692', 5);
      await conversation(lonely, wa.id, '14155550693', 5);
      const auto = await call('post', '/api/whatsapp/conversations/auto-link', bearer('AGENT', [lonely]), {
        subAccountId: lonely,
      });
      expect([auto.status, auto.body]).toEqual([200, { linked: 1, unmatched: 1 }]);
      const linked = await call(
        'get',
        `/api/whatsapp/conversations?subAccountId=${lonely}&linked=true`,
        bearer('AGENT', [lonely]),
      );
      expect(linked.body.items.map((c: { leadId: string }) => c.leadId)).toEqual([match]);
    });

    it('a send Meta refuses: the message is failed with error { code, title, details } and failedAt', async () => {
      await conversation(sub, s.integrationId, '14155550694', 5);
      fake.failFor('+14155550694', 131026, 'sync');
      const sent = await call('post', '/api/whatsapp/messages', bearer('AGENT'), {
        subAccountId: sub,
        to: '+14155550694',
        text: 'will fail',
      });
      expect(sent.status).toBe(202);
      const failed = await until(async () => {
        const res = await call(
          'get',
          `/api/whatsapp/messages?subAccountId=${sub}&conversationId=${sent.body.conversationId}&status=failed`,
          bearer('AGENT'),
        );
        return (res.body.items as Array<Record<string, unknown>>).find((m) => m.id === sent.body.id);
      }, 'failed message');
      expect(failed).toMatchObject({
        status: 'failed',
        failedAt: expect.stringMatching(ISO),
        error: { code: 131026, title: expect.any(String) },
      });
      expect(failed.error).toHaveProperty('details');
    });

    it('conversation detail: ?before= that is not a message id is 400 naming before', async () => {
      const convId = await conversation(sub, s.integrationId, '14155550695', 5);
      const res = await call('get', `/api/whatsapp/conversations/${convId}?before=abc`, bearer('AGENT'));
      expect([res.status, res.body.code, fieldsOf(res.body)]).toEqual([400, 'VALIDATION_FAILED', ['before']]);
    });

    it('a bulk with skipped recipients: GET shows them in counts (total = recipients + skipped)', async () => {
      const manager = bearer('MANAGER');
      const noPhone = await seedLead(t.sql, sub, null, 'No Phone Six');
      const created = await call('post', '/api/whatsapp/bulk', manager, {
        subAccountId: sub,
        leadIds: [leadId, noPhone],
        template: { id: s.templateId },
        parameters: { '1': 'x' },
        scheduledAt: new Date(Date.now() + 3_600_000).toISOString(),
      });
      expect([created.status, created.body.recipients, created.body.skipped.noPhone]).toEqual([202, 1, 1]);
      const job = await call('get', `/api/whatsapp/bulk/${created.body.id}`, manager);
      expect(job.body.counts).toMatchObject({ total: 2, pending: 1, skipped: 1 });
      expect(job.body.etaSeconds === null || typeof job.body.etaSeconds === 'number').toBe(true);
      await call('post', `/api/whatsapp/bulk/${created.body.id}/cancel`, manager);
    });
  });

  describe('statuses, windows and filters over time', () => {
    let hooks: ReturnType<FakeWhatsAppGraph['webhooks']>;
    let url: string;
    beforeAll(async () => {
      hooks = fake.webhooks(WHATSAPP_CONFIG.phoneNumberId);
      await t.app.listen(0, '127.0.0.1');
      url = `${await t.app.getUrl()}/api/webhooks/whatsapp-cloud`.replace('[::1]', '127.0.0.1');
    });
    const messageOf = async (id: string): Promise<Record<string, unknown> | undefined> => {
      const res = await call('get', `/api/whatsapp/messages?subAccountId=${sub}&pageSize=200`, bearer('AGENT'));
      return (res.body.items as Array<Record<string, unknown>>).find((m) => m.id === id);
    };
    const until = async <T>(read: () => Promise<T | undefined>, what: string): Promise<T> => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const value = await read();
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };

    it('a read status before any delivered one: read, with deliveredAt and readAt; a late delivered changes nothing', async () => {
      await conversation(sub, s.integrationId, '14155550701', 5);
      const sent = await call('post', '/api/whatsapp/messages', bearer('AGENT'), {
        subAccountId: sub,
        to: '+14155550701',
        text: 'status probe',
      });
      expect(sent.status).toBe(202);
      const wamid = await until(async () => {
        const m = await messageOf(sent.body.id);
        return typeof m?.wamid === 'string' ? m.wamid : undefined;
      }, 'wamid');
      const at = Math.floor(Date.now() / 1000);
      const read = await deliver(
        url,
        hooks.statuses([
          statusOf(wamid, 'read', { timestamp: at, recipientId: '14155550701', pricingCategory: 'service' }),
        ]),
      );
      expect(read.status).toBe(200);
      const done = await until(async () => {
        const m = await messageOf(sent.body.id);
        return m?.status === 'read' ? m : undefined;
      }, 'read');
      // sentAt is the time Meta reports `sent`: unknown (null) until that status arrives, even after `read`
      expect(done).toMatchObject({
        status: 'read',
        sentAt: null,
        deliveredAt: expect.stringMatching(ISO),
        readAt: expect.stringMatching(ISO),
        failedAt: null,
        pricing: { category: 'service', type: expect.any(String) },
      });
      const late = await deliver(
        url,
        hooks.statuses([
          statusOf(wamid, 'sent', { timestamp: at - 2, recipientId: '14155550701' }),
          statusOf(wamid, 'delivered', { timestamp: at - 1, recipientId: '14155550701' }),
        ]),
      );
      expect(late.status).toBe(200);
      // two events of one delivery, each applied by its own job: wait for both, not for the first
      const lateDelivered = new Date((at - 1) * 1000).toISOString();
      const after = await until(async () => {
        const m = await messageOf(sent.body.id);
        return m?.sentAt && m.deliveredAt === lateDelivered ? m : undefined;
      }, 'late sent and delivered applied');
      expect(after).toMatchObject({ status: 'read', sentAt: new Date((at - 2) * 1000).toISOString() });
    });

    it('a template to a contact outside the window does not open it: free text after it is still WINDOW_CLOSED', async () => {
      await conversation(sub, s.integrationId, '14155550702', 30 * 60);
      const agent = bearer('AGENT');
      const tpl = await call('post', '/api/whatsapp/messages', agent, {
        subAccountId: sub,
        to: '+14155550702',
        template: { id: s.templateId },
        parameters: { '1': 'x' },
      });
      expect(tpl.status).toBe(202);
      const text = await call('post', '/api/whatsapp/messages', agent, {
        subAccountId: sub,
        to: '+14155550702',
        text: 'follow-up',
      });
      expect([text.status, text.body.code]).toEqual([422, 'WINDOW_CLOSED']);
    });

    it('a template to a number never seen: a new conversation with no inbound and no window', async () => {
      const sent = await call('post', '/api/whatsapp/messages', bearer('AGENT'), {
        subAccountId: sub,
        to: '+14155550703',
        template: { id: s.templateId },
        parameters: { '1': 'x' },
      });
      expect([sent.status, typeof sent.body.conversationId]).toEqual([202, 'string']);
      const conv = await call('get', `/api/whatsapp/conversations/${sent.body.conversationId}`, bearer('AGENT'));
      expect(conv.body).toMatchObject({
        id: sent.body.conversationId,
        contact: { phone: '+14155550703' },
        lastInboundAt: null,
        windowOpenUntil: null,
        optedOut: false,
      });
    });

    it('bulk filter: status, createdFrom and createdTo select the leads they name', async () => {
      const bulkSub = await createSubAccount(t, 'MAX', 'Filter Six');
      const wa = await createIntegration(t, bulkSub, 'whatsapp-cloud', {
        ...WHATSAPP_CONFIG,
        phoneNumberId: '106540352242970',
      });
      await activate(t, bulkSub, wa.id);
      const template = await approvedTemplate(t.sql, fake, bulkSub, wa.id);
      const old = await seedLead(t.sql, bulkSub, '+14155550711', 'Old');
      const fresh = await seedLead(t.sql, bulkSub, '+14155550712', 'Fresh');
      const contacted = await seedLead(t.sql, bulkSub, '+14155550713', 'Contacted');
      await t.sql.query(`UPDATE leads SET created_at = '2024-01-10T12:00:00Z' WHERE id = $1::bigint`, [old]);
      await t.sql.query(`UPDATE leads SET status = 'CONTACTED' WHERE id = $1::bigint`, [contacted]);
      const token = bearer('MANAGER', [bulkSub]);
      const recipients = async (filter: Record<string, unknown>): Promise<string[]> => {
        const res = await call('post', '/api/whatsapp/bulk', token, {
          subAccountId: bulkSub,
          filter,
          template: { id: template },
          parameters: { '1': 'x' },
          scheduledAt: new Date(Date.now() + 3_600_000).toISOString(),
        });
        expect(res.status).toBe(202);
        const list = await call('get', `/api/whatsapp/bulk/${res.body.id}/recipients`, token);
        await call('post', `/api/whatsapp/bulk/${res.body.id}/cancel`, token);
        return (list.body.items as Array<{ leadId: string }>).map((r) => r.leadId).sort();
      };
      expect(await recipients({ status: 'CONTACTED' })).toEqual([contacted]);
      expect(await recipients({ createdTo: '2024-01-10' })).toEqual([old]);
      expect(await recipients({ createdFrom: '2024-01-11', status: 'NEW' })).toEqual([fresh]);
    });
  });
});
