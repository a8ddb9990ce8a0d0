// A second black-box pass over API.md "WhatsApp (`whatsapp-cloud` integrations)", read as an outside tester
// who has only API.md: what the earlier audits (contract-channels, contract-messaging-4, whatsapp*) leave
// open — the type and null-ness of every listed field, each query filter and its refusals, integrationId
// left out with one, none or two active numbers, the 24-hour rule at its edge, marketing-only opt-outs,
// bulk validation, and the roles table row by row. Conversations are seeded in SQL (as messaging-inbox does).
import { createIntegration, createSubAccount, WHATSAPP_CONFIG } from '../support/factories';
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { TestApp } from '../support/test-app';
import { activate } from '../support/webhooks';
import { approvedTemplate, BULK_TEMPLATE, BulkSetup, seedLead } from '../support/whatsapp-bulk';
import { Audit6, audit6Helpers, startAudit6, DIGITS, fieldsOf, ISO } from '../support/contract-whatsapp-6-setup';

describe('API.md contract: WhatsApp (audit 6, black box)', () => {
  let w: Audit6;
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let s: BulkSetup;
  let sub: number;
  let foreignSub: number;
  let leadId: string;
  const { bearer, call, conversation } = audit6Helpers(() => w);

  beforeAll(async () => {
    w = await startAudit6();
    ({ t, fake, s, sub, foreignSub, leadId } = w);
  });
  afterAll(() => w.close());

  describe('every listed field, with its documented type and null-ness', () => {
    it('a template: ids as strings, integrationId a number, enums in their sets, variables as { component, key, example }', async () => {
      const res = await call('get', `/api/whatsapp/templates?subAccountId=${sub}&q=order_update`, bearer('AGENT'));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ page: 1, pageSize: 50, total: 1 });
      const item = res.body.items[0] as Record<string, unknown>;
      expect(item).toMatchObject({
        id: s.templateId,
        integrationId: s.integrationId,
        externalId: expect.stringMatching(DIGITS),
        name: 'order_update',
        language: 'en_US',
        category: 'UTILITY',
        status: 'APPROVED',
        parameterFormat: 'POSITIONAL',
        components: BULK_TEMPLATE.components,
        createdAt: expect.stringMatching(ISO),
        updatedAt: expect.stringMatching(ISO),
      });
      expect(typeof item.id).toBe('string');
      for (const key of ['rejectedReason', 'qualityScore', 'headerType', 'lastSyncedAt'])
        expect([key, item[key] === null || typeof item[key] === 'string']).toEqual([key, true]);
      expect(Array.isArray(item.buttons)).toBe(true);
      expect(Array.isArray(item.variables)).toBe(true);
    });

    it('a template re-synced from Meta: variables read from its components, lastSyncedAt set', async () => {
      const sync = await call('post', '/api/whatsapp/templates/sync', bearer('MANAGER'), {
        integrationId: s.integrationId,
      });
      expect([sync.status, sync.body]).toEqual([202, { jobId: expect.any(String) }]);
      const deadline = Date.now() + 20_000;
      let item: Record<string, unknown> = {};
      while (Date.now() < deadline) {
        const res = await call('get', `/api/whatsapp/templates?subAccountId=${sub}&q=order_update`, bearer('AGENT'));
        item = res.body.items[0] as Record<string, unknown>;
        if (item.lastSyncedAt !== null) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(item).toMatchObject({
        id: s.templateId,
        lastSyncedAt: expect.stringMatching(ISO),
        variables: [{ component: 'BODY', key: '1', example: 'Ana' }],
        headerType: null,
      });
    });

    it('a created template: 201 with the documented item, status PENDING, ids as strings', async () => {
      const created = await call('post', '/api/whatsapp/templates', bearer('ADMIN'), {
        integrationId: s.integrationId,
        name: 'audit_six_created',
        language: 'en_US',
        category: 'UTILITY',
        components: [
          { type: 'HEADER', format: 'TEXT', text: 'Order {{1}}', example: { header_text: ['A-1'] } },
          { type: 'BODY', text: 'Hi {{1}}', example: { body_text: [['Ana']] } },
          { type: 'FOOTER', text: 'Thanks' },
          { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'OK' }] },
        ],
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        id: expect.stringMatching(DIGITS),
        integrationId: s.integrationId,
        externalId: expect.any(String),
        name: 'audit_six_created',
        language: 'en_US',
        category: 'UTILITY',
        status: 'PENDING',
        parameterFormat: 'POSITIONAL',
        headerType: 'TEXT',
        variables: [
          { component: 'HEADER', key: '1', example: 'A-1' },
          { component: 'BODY', key: '1', example: 'Ana' },
        ],
        buttons: [expect.objectContaining({ type: 'QUICK_REPLY', text: 'OK' })],
        createdAt: expect.stringMatching(ISO),
        updatedAt: expect.stringMatching(ISO),
      });
      for (const key of ['rejectedReason', 'qualityScore', 'lastSyncedAt', 'components'])
        expect(created.body).toHaveProperty(key);
      const removed = await call('delete', `/api/whatsapp/templates/${created.body.id}`, bearer('MANAGER'));
      expect([removed.status, removed.text]).toEqual([204, '']);
      expect(fake.templates.find(WHATSAPP_CONFIG.wabaId, 'audit_six_created', 'en_US')).toBeUndefined();
      const again = await call('delete', `/api/whatsapp/templates/${created.body.id}`, bearer('MANAGER'));
      expect([again.status, again.body.code]).toEqual([404, 'NOT_FOUND']);
    });

    it('a sent message: every listed field; a template message carries template { name, language }', async () => {
      const convId = await conversation(sub, s.integrationId, '14155550602', 5, leadId);
      const text = await call('post', '/api/whatsapp/messages', bearer('AGENT', [sub], 'agent-6'), {
        subAccountId: sub,
        to: '+14155550602',
        text: 'hi there',
      });
      expect([text.status, text.body]).toEqual([
        202,
        { id: expect.any(String), status: 'queued', conversationId: convId },
      ]);
      const tpl = await call('post', '/api/whatsapp/messages', bearer('AGENT', [sub], 'agent-6'), {
        subAccountId: sub,
        to: '+14155550602',
        template: { id: s.templateId },
        parameters: { '1': 'Ana' },
      });
      expect(tpl.status).toBe(202);
      const list = await call(
        'get',
        `/api/whatsapp/messages?subAccountId=${sub}&conversationId=${convId}`,
        bearer('AGENT', [sub], 'agent-6'),
      );
      expect(list.status).toBe(200);
      const byId = new Map((list.body.items as Array<Record<string, unknown>>).map((m) => [m.id, m]));
      const sentText = byId.get(text.body.id) as Record<string, unknown>;
      expect(sentText).toMatchObject({
        id: text.body.id,
        conversationId: convId,
        leadId,
        integrationId: s.integrationId,
        direction: 'outbound',
        type: 'text',
        text: 'hi there',
        sentBy: 'agent-6',
      });
      expect(['queued', 'sent', 'delivered', 'read', 'failed']).toContain(sentText.status);
      for (const key of ['wamid', 'sentAt', 'deliveredAt', 'readAt', 'failedAt', 'receivedAt'])
        expect([key, sentText[key] === null || typeof sentText[key] === 'string']).toEqual([key, true]);
      const sentTemplate = byId.get(tpl.body.id) as Record<string, unknown>;
      expect(sentTemplate).toMatchObject({ type: 'template', template: { name: 'order_update', language: 'en_US' } });
      const inbound = (list.body.items as Array<Record<string, unknown>>).find((m) => m.direction === 'inbound');
      expect(inbound).toMatchObject({
        status: 'received',
        receivedAt: expect.stringMatching(ISO),
        sentBy: null,
        sentAt: null,
      });
    });

    it('a conversation: contact { waId, userId, phone, profileName }, windowOpenUntil 24 h after lastInboundAt', async () => {
      const convId = await conversation(sub, s.integrationId, '14155550603', 60);
      const res = await call('get', `/api/whatsapp/conversations?subAccountId=${sub}&q=14155550603`, bearer('AGENT'));
      expect(res.body.total).toBe(1);
      const item = res.body.items[0] as Record<string, unknown> & { lastInboundAt: string; windowOpenUntil: string };
      expect(item).toMatchObject({
        id: convId,
        integrationId: s.integrationId,
        contact: { waId: '14155550603', userId: null, phone: '+14155550603', profileName: 'Probe' },
        leadId: null,
        lastMessageAt: expect.stringMatching(ISO),
        lastInboundAt: expect.stringMatching(ISO),
        windowOpenUntil: expect.stringMatching(ISO),
        unread: 1,
        optedOut: false,
      });
      expect(Date.parse(item.windowOpenUntil) - Date.parse(item.lastInboundAt)).toBe(24 * 3_600_000);
      const detail = await call('get', `/api/whatsapp/conversations/${convId}`, bearer('AGENT'));
      expect(detail.status).toBe(200);
      expect(detail.body).toMatchObject({
        id: convId,
        lead: null,
        messages: [expect.objectContaining({ text: 'hello' })],
      });
      const linked = await call('post', `/api/whatsapp/conversations/${convId}/link`, bearer('AGENT'), { leadId });
      expect([linked.status, linked.body.id, linked.body.leadId]).toEqual([200, convId, leadId]);
      const withLead = await call('get', `/api/whatsapp/conversations/${convId}`, bearer('AGENT'));
      expect(withLead.body.lead).toMatchObject({ id: leadId, status: expect.any(String) });
      expect(withLead.body.lead).toHaveProperty('sourceTracking');
      const unlinked = await call('delete', `/api/whatsapp/conversations/${convId}/link`, bearer('AGENT'));
      expect([unlinked.status, unlinked.body.leadId]).toEqual([200, null]);
    });

    it('an opt-out: { id, phone, waId, scope, source, createdAt } with a string id', async () => {
      const created = await call('post', '/api/whatsapp/opt-outs', bearer('MANAGER'), {
        subAccountId: sub,
        phone: '+14155550604',
        scope: 'marketing',
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        id: expect.stringMatching(DIGITS),
        phone: '+14155550604',
        scope: 'marketing',
        source: 'manual',
        createdAt: expect.stringMatching(ISO),
      });
      expect(created.body).toHaveProperty('waId');
      expect((await call('delete', `/api/whatsapp/opt-outs/${created.body.id}`, bearer('MANAGER'))).status).toBe(204);
    });
  });

  describe('query filters refuse values outside their documented sets, naming the field', () => {
    const cases: Array<[string, string]> = [
      ['/api/whatsapp/templates?status=approved', 'status'],
      ['/api/whatsapp/templates?category=PROMO', 'category'],
      ['/api/whatsapp/templates?integrationId=abc', 'integrationId'],
      ['/api/whatsapp/messages?direction=both', 'direction'],
      ['/api/whatsapp/messages?status=pending', 'status'],
      ['/api/whatsapp/messages?leadId=abc', 'leadId'],
      ['/api/whatsapp/messages?conversationId=abc', 'conversationId'],
      ['/api/whatsapp/messages?from=yesterday', 'from'],
      ['/api/whatsapp/conversations?linked=maybe', 'linked'],
      ['/api/whatsapp/conversations?integrationId=x', 'integrationId'],
      ['/api/whatsapp/conversations?subAccountId=abc', 'subAccountId'],
      ['/api/whatsapp/bulk?subAccountId=abc', 'subAccountId'],
      ['/api/whatsapp/opt-outs?subAccountId=1.5', 'subAccountId'],
      ['/api/whatsapp/templates?pageSize=201', 'pageSize'],
      ['/api/whatsapp/messages?page=0', 'page'],
    ];
    it.each(cases)('%s → 400 VALIDATION_FAILED naming %s', async (path, field) => {
      const res = await call('get', path, bearer('MANAGER'));
      expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(res.body).toEqual({
        statusCode: 400,
        code: 'VALIDATION_FAILED',
        message: expect.any(String),
        details: expect.any(Array),
      });
      expect(fieldsOf(res.body)).toContain(field);
    });

    it('messages: from / to narrow the page', async () => {
      const agent = bearer('AGENT');
      const all = await call('get', `/api/whatsapp/messages?subAccountId=${sub}`, agent);
      expect(all.body.total).toBeGreaterThan(0);
      const future = new Date(Date.now() + 86_400_000).toISOString();
      const past = '2020-01-01T00:00:00.000Z';
      expect((await call('get', `/api/whatsapp/messages?subAccountId=${sub}&from=${future}`, agent)).body.total).toBe(
        0,
      );
      expect((await call('get', `/api/whatsapp/messages?subAccountId=${sub}&to=${past}`, agent)).body.total).toBe(0);
      expect(
        (await call('get', `/api/whatsapp/messages?subAccountId=${sub}&from=${past}&to=${future}`, agent)).body.total,
      ).toBe(all.body.total);
    });
  });

  describe('integrationId left out (API.md: allowed with exactly one active WhatsApp integration)', () => {
    it('two active numbers: a send and a bulk are 400 naming integrationId; naming one goes through', async () => {
      const twoSub = await createSubAccount(t, 'MAX', 'Two Numbers');
      const numbers: number[] = [];
      for (const phoneNumberId of ['106540352242961', '106540352242962']) {
        const created = await createIntegration(t, twoSub, 'whatsapp-cloud', { ...WHATSAPP_CONFIG, phoneNumberId });
        await activate(t, twoSub, created.id);
        numbers.push(created.id);
      }
      const two = {
        subAccountId: twoSub,
        integrationId: numbers[0],
        templateId: await approvedTemplate(t.sql, fake, twoSub, numbers[0]),
      };
      await conversation(two.subAccountId, two.integrationId, '14155550611', 5);
      const token = bearer('MANAGER', [two.subAccountId]);
      const send = await call('post', '/api/whatsapp/messages', token, {
        subAccountId: two.subAccountId,
        to: '+14155550611',
        text: 'hi',
      });
      expect([send.status, send.body.code, fieldsOf(send.body)]).toEqual([400, 'VALIDATION_FAILED', ['integrationId']]);
      const bulk = await call('post', '/api/whatsapp/bulk', token, {
        subAccountId: two.subAccountId,
        leadIds: [await seedLead(t.sql, two.subAccountId, '+14155550612', 'Two')],
        template: { id: two.templateId },
        parameters: { '1': 'x' },
      });
      expect([bulk.status, bulk.body.code, fieldsOf(bulk.body)]).toEqual([400, 'VALIDATION_FAILED', ['integrationId']]);
      const named = await call('post', '/api/whatsapp/messages', token, {
        subAccountId: two.subAccountId,
        integrationId: two.integrationId,
        to: '+14155550611',
        text: 'hi',
      });
      expect(named.status).toBe(202);
    });

    it('no WhatsApp integration at all: 404 NOT_FOUND, nothing queued', async () => {
      const none = await createSubAccount(t, 'MAX', 'No WhatsApp');
      const res = await call('post', '/api/whatsapp/messages', bearer('AGENT', [none]), {
        subAccountId: none,
        to: '+14155550613',
        template: { name: 'order_update', language: 'en_US' },
        parameters: { '1': 'x' },
      });
      expect([res.status, res.body.code]).toEqual([404, 'NOT_FOUND']);
    });

    it("another sub-account's integrationId is 404 for a send, a template write and a sync", async () => {
      const token = bearer('ADMIN', [foreignSub]);
      const send = await call('post', '/api/whatsapp/messages', token, {
        subAccountId: foreignSub,
        integrationId: s.integrationId,
        to: '+14155550614',
        template: { id: s.templateId },
        parameters: { '1': 'x' },
      });
      expect([send.status, send.body.code]).toEqual([404, 'NOT_FOUND']);
    });
  });
});
