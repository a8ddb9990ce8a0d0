// Part of the API.md WhatsApp audit 6 (header in contract-whatsapp-6-fields.e2e-spec.ts): bulk validation and
// progress (first: the bulk list test below reads a bulk it created), remaining shapes, template create, roles.
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { TestApp } from '../support/test-app';
import { BulkSetup, seedLead } from '../support/whatsapp-bulk';
import { Audit6, audit6Helpers, startAudit6, fieldsOf, ISO, Method, Role } from '../support/contract-whatsapp-6-setup';

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
