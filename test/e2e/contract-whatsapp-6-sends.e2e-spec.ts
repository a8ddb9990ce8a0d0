// Part of the API.md WhatsApp audit 6 (header in contract-whatsapp-6-fields.e2e-spec.ts): the 24-hour window,
// opt-outs and sends, the documented routes edge by edge and the last details a client reads.
import { createIntegration } from '../support/factories';
import { TestApp } from '../support/test-app';
import { BulkSetup, seedLead } from '../support/whatsapp-bulk';
import { Audit6, audit6Helpers, startAudit6, fieldsOf, Method } from '../support/contract-whatsapp-6-setup';

describe('API.md contract: WhatsApp (audit 6, black box)', () => {
  let w: Audit6;
  let t: TestApp;
  let s: BulkSetup;
  let sub: number;
  let foreignSub: number;
  let marketingTemplateId: string;
  let leadId: string;
  const { bearer, call, conversation } = audit6Helpers(() => w);

  beforeAll(async () => {
    w = await startAudit6();
    ({ t, s, sub, foreignSub, marketingTemplateId, leadId } = w);
  });
  afterAll(() => w.close());

  describe('the 24-hour customer-service window', () => {
    it('23 h after the last inbound: free text goes; 25 h after: WINDOW_CLOSED, a template goes', async () => {
      await conversation(sub, s.integrationId, '14155550621', 23 * 60);
      await conversation(sub, s.integrationId, '14155550622', 25 * 60);
      const agent = bearer('AGENT');
      const open = await call('post', '/api/whatsapp/messages', agent, {
        subAccountId: sub,
        to: '+14155550621',
        text: 'still open',
      });
      expect(open.status).toBe(202);
      const closed = await call('post', '/api/whatsapp/messages', agent, {
        subAccountId: sub,
        to: '+14155550622',
        text: 'too late',
      });
      expect([closed.status, closed.body.code]).toEqual([422, 'WINDOW_CLOSED']);
      expect(closed.body).toEqual({
        statusCode: 422,
        code: 'WINDOW_CLOSED',
        message: expect.any(String),
        details: expect.any(Array),
      });
      const template = await call('post', '/api/whatsapp/messages', agent, {
        subAccountId: sub,
        to: '+14155550622',
        template: { name: 'order_update', language: 'en_US' },
        parameters: { '1': 'Ana' },
      });
      expect(template.status).toBe(202);
    });
  });

  describe('opt-outs and sends', () => {
    it('a marketing opt-out refuses a MARKETING template (RECIPIENT_OPTED_OUT) but not a UTILITY one; bulk counts it', async () => {
      const manager = bearer('MANAGER');
      const phone = '+14155550631';
      const lead = await seedLead(t.sql, sub, phone, 'Marketing Out');
      const opt = await call('post', '/api/whatsapp/opt-outs', manager, {
        subAccountId: sub,
        phone,
        scope: 'marketing',
      });
      expect(opt.status).toBe(201);
      const marketing = await call('post', '/api/whatsapp/messages', bearer('AGENT'), {
        subAccountId: sub,
        leadId: lead,
        template: { id: marketingTemplateId },
        parameters: { '1': 'x' },
      });
      expect([marketing.status, marketing.body.code]).toEqual([422, 'RECIPIENT_OPTED_OUT']);
      const utility = await call('post', '/api/whatsapp/messages', bearer('AGENT'), {
        subAccountId: sub,
        leadId: lead,
        template: { id: s.templateId },
        parameters: { '1': 'x' },
      });
      expect(utility.status).toBe(202);
      const bulk = await call('post', '/api/whatsapp/bulk', manager, {
        subAccountId: sub,
        leadIds: [lead, leadId],
        template: { id: marketingTemplateId },
        parameters: { '1': 'x' },
        scheduledAt: new Date(Date.now() + 3_600_000).toISOString(),
      });
      expect([bulk.status, bulk.body.recipients, bulk.body.skipped]).toEqual([
        202,
        1,
        { noPhone: 0, optedOut: 1, duplicatePhone: 0, windowClosed: 0 },
      ]);
      expect(typeof bulk.body.id).toBe('string');
      const recipients = await call('get', `/api/whatsapp/bulk/${bulk.body.id}/recipients?status=skipped`, manager);
      expect(recipients.body.items).toEqual([
        expect.objectContaining({ leadId: lead, phone, status: 'skipped', messageId: null }),
      ]);
      await call('post', `/api/whatsapp/bulk/${bulk.body.id}/cancel`, manager);
    });

    it('opt-outs of another sub-account: list 403 for its subAccountId, delete 404, create 403', async () => {
      const created = await call('post', '/api/whatsapp/opt-outs', bearer('MANAGER'), {
        subAccountId: sub,
        waId: '14155550632',
        scope: 'all',
      });
      expect(created.status).toBe(201);
      const stranger = bearer('ADMIN', [foreignSub]);
      const del = await call('delete', `/api/whatsapp/opt-outs/${created.body.id}`, stranger);
      expect([del.status, del.body.code]).toEqual([404, 'NOT_FOUND']);
      const create = await call('post', '/api/whatsapp/opt-outs', stranger, {
        subAccountId: sub,
        waId: '14155550633',
        scope: 'all',
      });
      expect([create.status, create.body.code]).toEqual([403, 'FORBIDDEN']);
    });
  });

  describe('more of the documented routes, edge by edge', () => {
    it('an opt-out of scope all refuses free text inside the window; marketing scope lets it through', async () => {
      const manager = bearer('MANAGER');
      await conversation(sub, s.integrationId, '14155550661', 5);
      await conversation(sub, s.integrationId, '14155550662', 5);
      const all = await call('post', '/api/whatsapp/opt-outs', manager, {
        subAccountId: sub,
        waId: '14155550661',
        scope: 'all',
      });
      const marketing = await call('post', '/api/whatsapp/opt-outs', manager, {
        subAccountId: sub,
        waId: '14155550662',
        scope: 'marketing',
      });
      expect([all.status, marketing.status]).toEqual([201, 201]);
      const send = (to: string) =>
        call('post', '/api/whatsapp/messages', bearer('AGENT'), { subAccountId: sub, to, text: 'reply' });
      const refused = await send('+14155550661');
      expect([refused.status, refused.body.code]).toEqual([422, 'RECIPIENT_OPTED_OUT']);
      expect((await send('+14155550662')).status).toBe(202);
      const convs = await call('get', `/api/whatsapp/conversations?subAccountId=${sub}&q=1415555066`, bearer('AGENT'));
      const opted = Object.fromEntries(
        (convs.body.items as Array<{ contact: { waId: string }; optedOut: boolean }>).map((c) => [
          c.contact.waId,
          c.optedOut,
        ]),
      );
      expect(opted).toEqual({ '14155550661': true, '14155550662': true });
    });

    it('ids that are not ids are 400; ids that name nothing are 404', async () => {
      const manager = bearer('MANAGER');
      const cases: Array<[Method, string, number]> = [
        ['get', '/api/whatsapp/bulk/abc', 400],
        ['get', '/api/whatsapp/bulk/987654321', 404],
        ['get', '/api/whatsapp/bulk/987654321/recipients', 404],
        ['post', '/api/whatsapp/bulk/987654321/cancel', 404],
        ['delete', '/api/whatsapp/templates/abc', 400],
        ['delete', '/api/whatsapp/templates/987654321', 404],
        ['get', '/api/whatsapp/conversations/abc', 400],
        ['get', '/api/whatsapp/conversations/987654321', 404],
        ['delete', '/api/whatsapp/opt-outs/abc', 400],
      ];
      for (const [method, path, status] of cases) {
        const res = await call(method, path, manager, method === 'post' ? {} : undefined);
        expect([path, res.status, res.body.code]).toEqual([
          path,
          status,
          status === 400 ? 'VALIDATION_FAILED' : 'NOT_FOUND',
        ]);
      }
    });

    it('a send: an unreadable `to` is 400 naming to; a non-WhatsApp integrationId is 404', async () => {
      const agent = bearer('AGENT');
      const bad = await call('post', '/api/whatsapp/messages', agent, {
        subAccountId: sub,
        to: 'not-a-phone',
        text: 'x',
      });
      expect([bad.status, bad.body.code, fieldsOf(bad.body)]).toEqual([400, 'VALIDATION_FAILED', ['to']]);
      const other = await createIntegration(t, sub, 'facebook-messenger', {
        pageAccessToken: 'EAAG-audit6-token',
        appSecret: 'audit6-secret',
        verifyToken: 'audit6-verify',
        pageId: '200000000000061',
      });
      const notWhatsApp = await call('post', '/api/whatsapp/messages', agent, {
        subAccountId: sub,
        integrationId: other.id,
        to: '+14155550602',
        text: 'x',
      });
      expect([notWhatsApp.status, notWhatsApp.body.code]).toEqual([404, 'NOT_FOUND']);
      const template = await call('post', '/api/whatsapp/templates', bearer('MANAGER'), {
        integrationId: other.id,
        name: 'not_whatsapp',
        language: 'en_US',
        category: 'UTILITY',
        components: [{ type: 'BODY', text: 'Hi' }],
      });
      expect([template.status, template.body.code]).toEqual([404, 'NOT_FOUND']);
    });

    it('messages: sentBy=<user id> and status=received filter; opt-outs page', async () => {
      const agent = bearer('AGENT');
      await conversation(sub, s.integrationId, '14155550681', 5);
      const sent = await call('post', '/api/whatsapp/messages', bearer('AGENT', [sub], 'agent-68'), {
        subAccountId: sub,
        to: '+14155550681',
        text: 'mine',
      });
      expect(sent.status).toBe(202);
      const byUser = await call('get', `/api/whatsapp/messages?subAccountId=${sub}&sentBy=agent-68`, agent);
      expect(byUser.body.items.map((m: { id: string; sentBy: string }) => [m.id, m.sentBy])).toEqual([
        [sent.body.id, 'agent-68'],
      ]);
      const received = await call('get', `/api/whatsapp/messages?subAccountId=${sub}&status=received`, agent);
      expect(received.body.total).toBeGreaterThan(0);
      for (const m of received.body.items as Array<{ status: string; direction: string }>)
        expect([m.status, m.direction]).toEqual(['received', 'inbound']);
      const page = await call('get', `/api/whatsapp/opt-outs?subAccountId=${sub}&pageSize=1`, bearer('MANAGER'));
      expect(page.body).toMatchObject({ page: 1, pageSize: 1 });
      expect(page.body.items).toHaveLength(1);
      expect(page.body.total).toBeGreaterThan(1);
    });

    it('the same phone opted out twice: one entry, never a 500', async () => {
      const manager = bearer('MANAGER');
      const body = { subAccountId: sub, phone: '+14155550671', scope: 'all' };
      const first = await call('post', '/api/whatsapp/opt-outs', manager, body);
      const second = await call('post', '/api/whatsapp/opt-outs', manager, body);
      expect(first.status).toBe(201);
      expect(second.status).toBeLessThan(500);
      const list = await call('get', `/api/whatsapp/opt-outs?subAccountId=${sub}&pageSize=200`, manager);
      expect(
        (list.body.items as Array<{ phone: string | null }>).filter((o) => o.phone === '+14155550671'),
      ).toHaveLength(1);
    });
  });

  describe('the last details a client reads', () => {
    it('a send by template name needs its language: 400 naming template; `to` may be a wa_id', async () => {
      const agent = bearer('AGENT');
      const noLanguage = await call('post', '/api/whatsapp/messages', agent, {
        subAccountId: sub,
        to: '+14155550721',
        template: { name: 'order_update' },
        parameters: { '1': 'x' },
      });
      expect([noLanguage.status, noLanguage.body.code, fieldsOf(noLanguage.body)]).toEqual([
        400,
        'VALIDATION_FAILED',
        ['template'],
      ]);
      const convId = await conversation(sub, s.integrationId, '14155550722', 5);
      const byWaId = await call('post', '/api/whatsapp/messages', agent, {
        subAccountId: sub,
        to: '14155550722',
        text: 'by wa_id',
      });
      expect([byWaId.status, byWaId.body.conversationId]).toEqual([202, convId]);
    });

    it('bulk recipients: every documented recipient status is a filter', async () => {
      const manager = bearer('MANAGER');
      const created = await call('post', '/api/whatsapp/bulk', manager, {
        subAccountId: sub,
        leadIds: [leadId],
        template: { id: s.templateId },
        parameters: { '1': 'x' },
        scheduledAt: new Date(Date.now() + 3_600_000).toISOString(),
      });
      expect(created.status).toBe(202);
      for (const status of ['pending', 'sent', 'delivered', 'read', 'failed', 'skipped']) {
        const res = await call('get', `/api/whatsapp/bulk/${created.body.id}/recipients?status=${status}`, manager);
        expect([status, res.status, res.body.total]).toEqual([status, 200, status === 'pending' ? 1 : 0]);
      }
      await call('post', `/api/whatsapp/bulk/${created.body.id}/cancel`, manager);
      const skipped = await call('get', `/api/whatsapp/bulk/${created.body.id}/recipients?status=skipped`, manager);
      expect(skipped.body.total).toBe(1);
    });

    it('analytics byTemplate: templateId as the template id (a string) with its name and counts', async () => {
      const res = await call('get', `/api/whatsapp/analytics?subAccountId=${sub}`, bearer('MANAGER'));
      expect(res.status).toBe(200);
      const row = (res.body.byTemplate as Array<Record<string, unknown>>).find((b) => b.name === 'order_update');
      expect(row).toMatchObject({
        templateId: s.templateId,
        name: 'order_update',
        sent: expect.any(Number),
        delivered: expect.any(Number),
        read: expect.any(Number),
        failed: expect.any(Number),
      });
    });
  });
});
