// A second black-box pass over API.md "WhatsApp (`whatsapp-cloud` integrations)", read as an outside tester
// who has only API.md: what the earlier audits (contract-channels, contract-messaging-4, whatsapp*) leave
// open — the type and null-ness of every listed field, each query filter and its refusals, integrationId
// left out with one, none or two active numbers, the 24-hour rule at its edge, marketing-only opt-outs,
// bulk validation, and the roles table row by row. Conversations are seeded in SQL (as messaging-inbox does).
import { createIntegration, createSubAccount, WHATSAPP_CONFIG } from '../support/factories';
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { createTestApp, TestApp } from '../support/test-app';
import { deliver, statusOf } from '../support/fakes/whatsapp-webhooks';
import { activate } from '../support/webhooks';
import { approvedTemplate, BULK_TEMPLATE, BulkSetup, seedLead, whatsAppSetup } from '../support/whatsapp-bulk';

type Role = 'SUPER_ADMIN' | 'ADMIN' | 'MANAGER' | 'AGENT';
type Method = 'get' | 'post' | 'delete';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
const DIGITS = /^[0-9]+$/;

describe('API.md contract: WhatsApp (audit 6, black box)', () => {
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let s: BulkSetup;
  let sub: number;
  let foreignSub: number;
  let marketingTemplateId: string;
  let leadId: string;

  const bearer = (role: Role, subs: number[] = [sub], user?: string) => `Bearer ${t.token(role, subs, user)}`;
  const call = (method: Method, path: string, token: string, body?: object) => {
    const req = t.http[method](path).set('authorization', token);
    return body === undefined ? req : req.send(body);
  };
  const fieldsOf = (body: { details?: Array<{ field?: string }> }) => (body.details ?? []).map((d) => d.field);

  /** A WhatsApp conversation whose contact last wrote `minutesAgo` minutes ago. */
  const conversation = async (
    subAccountId: number,
    integrationId: number,
    waId: string,
    minutesAgo: number,
    lead: string | null = null,
  ): Promise<string> => {
    const { rows } = await t.sql.query<{ id: string }>(
      `INSERT INTO conversations (sub_account_id, integration_id, channel, contact_key, wa_id, phone, phone_normalized,
         profile_name, lead_id, last_message_at, last_inbound_at, unread_count, updated_at)
       VALUES ($1, $2, 'whatsapp', $3, $3, '+' || $3, '+' || $3, 'Probe', $4::bigint,
         now() - make_interval(mins => $5), now() - make_interval(mins => $5), 1, now())
       RETURNING id::text`,
      [subAccountId, integrationId, waId, lead, minutesAgo],
    );
    await t.sql.query(
      `INSERT INTO messages (sub_account_id, integration_id, conversation_id, channel, lead_id, direction, type, text,
         status, wamid, received_at, created_at, updated_at)
       VALUES ($1, $2, $3::bigint, 'whatsapp', $4::bigint, 'inbound', 'text', 'hello', 'received', $5,
         now() - make_interval(mins => $6), now() - make_interval(mins => $6), now())`,
      [subAccountId, integrationId, rows[0].id, lead, `wamid.in-${rows[0].id}`, minutesAgo],
    );
    return rows[0].id;
  };

  beforeAll(async () => {
    fake = await FakeWhatsAppGraph.start({
      accessToken: WHATSAPP_CONFIG.accessToken,
      appSecret: WHATSAPP_CONFIG.appSecret,
    });
    t = await createTestApp({ env: { META_GRAPH_URL: fake.url } });
    s = await whatsAppSetup(t, fake);
    sub = s.subAccountId;
    foreignSub = await createSubAccount(t, 'MAX', 'Audit6 Foreign');
    marketingTemplateId = await approvedTemplate(t.sql, fake, sub, s.integrationId, {
      ...BULK_TEMPLATE,
      name: 'spring_sale',
      category: 'MARKETING',
    });
    leadId = await seedLead(t.sql, sub, '+14155550601', 'Audit Six');
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

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

  describe('idempotent capture and the remaining shapes', () => {
    it('capture-lead twice at once: one 201 and one 200, the same lead, one lead in the sub-account', async () => {
      const agent = bearer('AGENT');
      const convId = await conversation(sub, s.integrationId, '14155550731', 5);
      const both = await Promise.all([
        call('post', `/api/whatsapp/conversations/${convId}/capture-lead`, agent, { fullName: 'Race Six' }),
        call('post', `/api/whatsapp/conversations/${convId}/capture-lead`, agent, { fullName: 'Race Six' }),
      ]);
      expect(both.map((r) => r.status).sort()).toEqual([200, 201]);
      expect(both[0].body.id).toBe(both[1].body.id);
      const { rows } = await t.sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM leads WHERE sub_account_id = $1 AND phone = '+14155550731'`,
        [sub],
      );
      expect(rows[0].n).toBe(1);
    });

    it('GET /api/whatsapp/bulk items have the shape of GET /api/whatsapp/bulk/:id', async () => {
      const manager = bearer('MANAGER');
      const list = await call('get', `/api/whatsapp/bulk?subAccountId=${sub}&pageSize=1`, manager);
      expect(list.body).toMatchObject({ page: 1, pageSize: 1, total: expect.any(Number) });
      const item = list.body.items[0] as { id: string };
      const one = await call('get', `/api/whatsapp/bulk/${item.id}`, manager);
      expect(Object.keys(item).sort()).toEqual(Object.keys(one.body).sort());
      for (const key of [
        'id',
        'status',
        'counts',
        'ratePerSecond',
        'startedAt',
        'completedAt',
        'etaSeconds',
        'createdBy',
      ])
        expect(item).toHaveProperty(key);
    });

    it('an opt-out whose phone is not a number is 400 naming phone', async () => {
      const res = await call('post', '/api/whatsapp/opt-outs', bearer('MANAGER'), {
        subAccountId: sub,
        phone: 'call me',
        scope: 'all',
      });
      expect([res.status, res.body.code, fieldsOf(res.body)]).toEqual([400, 'VALIDATION_FAILED', ['phone']]);
    });
  });

  describe('bulk send validation and progress', () => {
    const bad: Array<[string, Record<string, unknown>, string]> = [
      ['neither leadIds nor filter', { text: 'hi' }, 'leadIds'],
      ['template and text', { leadIds: ['1'], text: 'hi', template: { id: '1' } }, 'text'],
      ['a leadId that is not an id', { leadIds: ['abc'], text: 'hi' }, 'leadIds'],
      ['scheduledAt unreadable', { leadIds: ['1'], text: 'hi', scheduledAt: 'soon' }, 'scheduledAt'],
      ['filter.createdFrom unreadable', { filter: { createdFrom: 'x' }, text: 'hi' }, 'filter.createdFrom'],
      ['filter.tags not an array', { filter: { tags: 'vip' }, text: 'hi' }, 'filter.tags'],
      ['an unknown filter field', { filter: { city: 'Lisbon' }, text: 'hi' }, 'filter.city'],
      ['a template without id', { leadIds: ['1'], template: {} }, 'template.id'],
      ['neither template nor text', { leadIds: ['1'] }, 'text'],
      ['leadIds and filter', { leadIds: ['1'], filter: { status: 'NEW' }, text: 'hi' }, 'leadIds'],
    ];
    it.each(bad)('%s → 400 VALIDATION_FAILED naming it', async (_name, body, field) => {
      const res = await call('post', '/api/whatsapp/bulk', bearer('MANAGER'), { subAccountId: sub, ...body });
      expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(fieldsOf(res.body).join(',')).toContain(field);
    });

    it('a filter that selects no lead is 400 naming filter', async () => {
      const manager = bearer('MANAGER');
      const none = await call('post', '/api/whatsapp/bulk', manager, {
        subAccountId: sub,
        filter: { tags: ['nobody-has-this-tag'] },
        template: { id: s.templateId },
        parameters: { '1': 'x' },
      });
      expect([none.status, none.body.code, fieldsOf(none.body)]).toEqual([400, 'VALIDATION_FAILED', ['filter']]);
    });

    it('free text with parameters is 400 naming parameters, as a single send refuses it', async () => {
      const manager = bearer('MANAGER');
      const textParams = await call('post', '/api/whatsapp/bulk', manager, {
        subAccountId: sub,
        leadIds: [leadId],
        text: 'hi',
        parameters: { '1': 'x' },
      });
      expect([textParams.status, textParams.body.code, fieldsOf(textParams.body)]).toEqual([
        400,
        'VALIDATION_FAILED',
        ['parameters'],
      ]);
    });

    it('a bulk send that runs: its progress fields move to completed with counts that add up', async () => {
      const manager = bearer('MANAGER');
      const phone = '+14155550641';
      const lead = await seedLead(t.sql, sub, phone, 'Bulk Six');
      const res = await call('post', '/api/whatsapp/bulk', manager, {
        subAccountId: sub,
        leadIds: [lead],
        template: { id: s.templateId },
        parameters: { '1': '{{lead.firstName}}' },
      });
      expect(res.status).toBe(202);
      const deadline = Date.now() + 20_000;
      let job = (await call('get', `/api/whatsapp/bulk/${res.body.id}`, manager)).body;
      while (job.status !== 'completed' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        job = (await call('get', `/api/whatsapp/bulk/${res.body.id}`, manager)).body;
      }
      expect(job).toMatchObject({
        id: res.body.id,
        status: 'completed',
        counts: { total: 1, pending: 0, sent: 1, failed: 0, skipped: 0 },
        ratePerSecond: expect.any(Number),
        startedAt: expect.stringMatching(ISO),
        completedAt: expect.stringMatching(ISO),
        createdBy: expect.any(String),
      });
      expect(job.etaSeconds === null || job.etaSeconds === 0).toBe(true);
      const recipients = await call('get', `/api/whatsapp/bulk/${res.body.id}/recipients`, manager);
      expect(recipients.body.items).toEqual([
        expect.objectContaining({ leadId: lead, phone, status: 'sent', messageId: expect.any(String), error: null }),
      ]);
      const listed = await call('get', `/api/whatsapp/bulk?subAccountId=${sub}`, manager);
      expect(listed.body.items.map((b: { id: string }) => b.id)).toContain(res.body.id);
      const message = await call('get', `/api/whatsapp/messages?subAccountId=${sub}&leadId=${lead}`, manager);
      expect(message.body.items[0]).toMatchObject({ bulkId: res.body.id });
    });
  });

  describe('template create: what Meta would refuse is refused first', () => {
    const base = { language: 'en_US', category: 'UTILITY' };
    const body = { type: 'BODY', text: 'Hi {{1}}', example: { body_text: [['Ana']] } };
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['upper-case name', { ...base, name: 'Order_Update', components: [body] }, 'name'],
      ['name with a dash', { ...base, name: 'order-update', components: [body] }, 'name'],
      ['name over 512', { ...base, name: 'a'.repeat(513), components: [body] }, 'name'],
      ['category outside the set', { ...base, name: 'cat_x', category: 'PROMO', components: [body] }, 'category'],
      ['no BODY', { ...base, name: 'no_body', components: [{ type: 'FOOTER', text: 'x' }] }, 'components'],
      ['two BODY', { ...base, name: 'two_body', components: [body, body] }, 'components'],
      [
        'a variable without an example',
        { ...base, name: 'no_example', components: [{ type: 'BODY', text: 'Hi {{1}}' }] },
        'components[0]',
      ],
      [
        'a HEADER format outside TEXT|IMAGE|VIDEO|DOCUMENT',
        { ...base, name: 'bad_header', components: [{ type: 'HEADER', format: 'AUDIO' }, body] },
        'components[0]',
      ],
      [
        'a button type outside QUICK_REPLY|URL|PHONE_NUMBER',
        {
          ...base,
          name: 'bad_button',
          components: [body, { type: 'BUTTONS', buttons: [{ type: 'FLOW_X', text: 'Go' }] }],
        },
        'components[1]',
      ],
      ['no language', { category: 'UTILITY', name: 'no_lang', components: [body] }, 'language'],
    ];
    it.each(cases)('%s → 400 VALIDATION_FAILED naming it; Meta sees nothing', async (_n, dto, field) => {
      const before = fake.requests.length;
      const res = await call('post', '/api/whatsapp/templates', bearer('MANAGER'), {
        integrationId: s.integrationId,
        ...dto,
      });
      expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(fieldsOf(res.body).join(',')).toContain(field);
      expect(fake.requests.slice(before).filter((r) => r.method === 'POST')).toEqual([]);
    });
  });

  describe('roles table: every WhatsApp route', () => {
    let bulkId: string;
    let convId: string;
    let optOutId: string;
    beforeAll(async () => {
      convId = await conversation(sub, s.integrationId, '14155550651', 5);
      const bulk = await call('post', '/api/whatsapp/bulk', bearer('MANAGER'), {
        subAccountId: sub,
        leadIds: [leadId],
        template: { id: s.templateId },
        parameters: { '1': 'x' },
        scheduledAt: new Date(Date.now() + 3_600_000).toISOString(),
      });
      bulkId = bulk.body.id as string;
      const opt = await call('post', '/api/whatsapp/opt-outs', bearer('MANAGER'), {
        subAccountId: sub,
        waId: '14155550652',
        scope: 'all',
      });
      optOutId = opt.body.id as string;
    });
    const forbidden: Array<[string, Method, () => string, () => object | undefined]> = [
      ['template create', 'post', () => '/api/whatsapp/templates', () => ({ integrationId: s.integrationId })],
      ['template delete', 'delete', () => `/api/whatsapp/templates/${s.templateId}`, () => undefined],
      ['bulk create', 'post', () => '/api/whatsapp/bulk', () => ({ subAccountId: sub, leadIds: [leadId], text: 'x' })],
      ['bulk get', 'get', () => `/api/whatsapp/bulk/${bulkId}`, () => undefined],
      ['bulk resume', 'post', () => `/api/whatsapp/bulk/${bulkId}/resume`, () => ({})],
      [
        'opt-out create',
        'post',
        () => '/api/whatsapp/opt-outs',
        () => ({ subAccountId: sub, waId: '1415555', scope: 'all' }),
      ],
      ['analytics', 'get', () => `/api/whatsapp/analytics?subAccountId=${sub}`, () => undefined],
    ];
    it.each(forbidden)('AGENT: %s → 403 FORBIDDEN', async (_n, method, path, body) => {
      const res = await call(method, path(), bearer('AGENT'), body());
      expect([res.status, res.body.code]).toEqual([403, 'FORBIDDEN']);
    });
    const allowed: Array<[string, Role, Method, () => string, () => object | undefined]> = [
      ['conversation list', 'AGENT', 'get', () => `/api/whatsapp/conversations?subAccountId=${sub}`, () => undefined],
      ['link', 'AGENT', 'post', () => `/api/whatsapp/conversations/${convId}/link`, () => ({ leadId })],
      ['unlink', 'AGENT', 'delete', () => `/api/whatsapp/conversations/${convId}/link`, () => undefined],
      ['capture', 'AGENT', 'post', () => `/api/whatsapp/conversations/${convId}/capture-lead`, () => ({})],
      ['auto-link', 'AGENT', 'post', () => '/api/whatsapp/conversations/auto-link', () => ({ subAccountId: sub })],
      ['bulk get', 'ADMIN', 'get', () => `/api/whatsapp/bulk/${bulkId}`, () => undefined],
      ['bulk recipients', 'MANAGER', 'get', () => `/api/whatsapp/bulk/${bulkId}/recipients`, () => undefined],
      ['opt-out list', 'ADMIN', 'get', () => `/api/whatsapp/opt-outs?subAccountId=${sub}`, () => undefined],
      ['opt-out delete', 'MANAGER', 'delete', () => `/api/whatsapp/opt-outs/${optOutId}`, () => undefined],
      [
        'template sync',
        'ADMIN',
        'post',
        () => '/api/whatsapp/templates/sync',
        () => ({ integrationId: s.integrationId }),
      ],
      ['bulk list', 'SUPER_ADMIN', 'get', () => `/api/whatsapp/bulk?subAccountId=${sub}`, () => undefined],
    ];
    it.each(allowed)('%s as %s answers 2xx', async (_n, role, method, path, body) => {
      const res = await call(method, path(), bearer(role), body());
      expect([res.status < 300, res.body.code]).toEqual([true, undefined]);
    });

    it("another sub-account's bulk: get and recipients are 404", async () => {
      const stranger = bearer('ADMIN', [foreignSub]);
      for (const path of [`/api/whatsapp/bulk/${bulkId}`, `/api/whatsapp/bulk/${bulkId}/recipients`]) {
        const res = await call('get', path, stranger);
        expect([path, res.status, res.body.code]).toEqual([path, 404, 'NOT_FOUND']);
      }
      const list = await call('get', `/api/whatsapp/bulk?subAccountId=${sub}`, stranger);
      expect([list.status, list.body.code]).toEqual([403, 'FORBIDDEN']);
      expect((await call('get', '/api/whatsapp/bulk', stranger)).body.total).toBe(0);
    });
  });
});
