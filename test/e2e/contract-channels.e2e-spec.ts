// A black-box probe of API.md "WhatsApp", "Messaging channels", "Analytics", "Reports" and "OAuth connections"
// and of the roles table's rows for those families: statements no other spec asserts, read literally.
// Conversations and messages are seeded in SQL (as messaging-inbox does); everything else goes over HTTP.
import { createSubAccount, WHATSAPP_CONFIG } from '../support/factories';
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { createTestApp, TestApp } from '../support/test-app';
import { approvedTemplate, BulkSetup, seedLead, whatsAppSetup } from '../support/whatsapp-bulk';

type Role = 'SUPER_ADMIN' | 'ADMIN' | 'MANAGER' | 'AGENT';
type Method = 'get' | 'post' | 'delete';

describe('API.md contract: channels, analytics, reports, OAuth (black box)', () => {
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let s: BulkSetup;
  let sub: number;
  let pendingTemplateId: string;
  let leadId: string;
  const conv: Record<'linked' | 'unlinked', string> = { linked: '', unlinked: '' };
  const msg: Record<'inbound' | 'mine' | 'theirs' | 'older', string> = { inbound: '', mine: '', theirs: '', older: '' };
  let bulkId: string;

  const bearer = (role: Role, sub?: string) =>
    `Bearer ${t.token(role, role === 'SUPER_ADMIN' ? [] : [s.subAccountId], sub)}`;
  const call = (method: Method, path: string, token: string, body?: object) => {
    const req = t.http[method](path).set('authorization', token);
    return body === undefined ? req : req.send(body);
  };

  const conversation = async (
    key: string,
    lead: string | null,
    minutesAgo: number,
    profileName: string,
  ): Promise<string> => {
    const { rows } = await t.sql.query<{ id: string }>(
      `INSERT INTO conversations (sub_account_id, integration_id, channel, contact_key, wa_id, phone, phone_normalized,
         profile_name, lead_id, last_message_at, last_inbound_at, unread_count, updated_at)
       VALUES ($1, $2, 'whatsapp', $3, $3, '+' || $3, '+' || $3, $4, $5::bigint,
         now() - make_interval(mins => $6), now() - make_interval(mins => $6), 1, now())
       RETURNING id::text`,
      [s.subAccountId, s.integrationId, key, profileName, lead, minutesAgo],
    );
    return rows[0].id;
  };
  const message = async (
    conversationId: string,
    direction: 'inbound' | 'outbound',
    status: string,
    minutesAgo: number,
    sentBy: string | null,
    lead: string | null,
  ): Promise<string> => {
    const { rows } = await t.sql.query<{ id: string }>(
      `INSERT INTO messages (sub_account_id, integration_id, conversation_id, channel, lead_id, direction, type, text,
         status, sent_by, sent_at, received_at, created_at, updated_at)
       VALUES ($1, $2, $3::bigint, 'whatsapp', $4::bigint, $5, 'text', 'hi', $6, $7,
         CASE WHEN $5 = 'outbound' THEN now() - make_interval(mins => $8) END,
         CASE WHEN $5 = 'inbound' THEN now() - make_interval(mins => $8) END,
         now() - make_interval(mins => $8), now())
       RETURNING id::text`,
      [s.subAccountId, s.integrationId, conversationId, lead, direction, status, sentBy, minutesAgo],
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
    pendingTemplateId = await approvedTemplate(
      t.sql,
      fake,
      sub,
      s.integrationId,
      {
        name: 'promo_beta',
        language: 'pt_BR',
        category: 'MARKETING',
        components: [{ type: 'BODY', text: 'Oi {{1}}', example: { body_text: [['Ana']] } }],
      },
      'PENDING',
    );
    leadId = await seedLead(t.sql, sub, '+14155550101', 'Linked Lead');
    conv.linked = await conversation('14155550101', leadId, 30, 'Linda');
    conv.unlinked = await conversation('14155550202', null, 10, 'Ulrich');
    msg.older = await message(conv.linked, 'inbound', 'received', 40, null, leadId);
    msg.inbound = await message(conv.linked, 'inbound', 'received', 30, null, leadId);
    msg.mine = await message(conv.linked, 'outbound', 'delivered', 20, 'agent-me', leadId);
    msg.theirs = await message(conv.unlinked, 'outbound', 'failed', 10, 'agent-other', null);
    const bulk = await call('post', '/api/whatsapp/bulk', bearer('MANAGER'), {
      subAccountId: sub,
      leadIds: [leadId],
      template: { id: s.templateId },
      parameters: { '1': 'x' },
      scheduledAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    if (bulk.status !== 202) throw new Error(`bulk: ${bulk.status} ${JSON.stringify(bulk.body)}`);
    bulkId = bulk.body.id as string;
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  // API.md lines 50-56: the roles table, row by row, for the routes no other spec asks of these roles.
  describe('roles table (API.md 50-56)', () => {
    const cases: Array<[string, Role, Method, () => string, () => object | undefined, boolean]> = [
      // WhatsApp: send, conversations (link, capture), history, approved templates — every role
      ['history', 'AGENT', 'get', () => `/api/whatsapp/messages?subAccountId=${sub}`, () => undefined, true],
      ['conversation', 'AGENT', 'get', () => `/api/whatsapp/conversations/${conv.linked}`, () => undefined, true],
      [
        'approved templates',
        'MANAGER',
        'get',
        () => `/api/whatsapp/templates?subAccountId=${sub}`,
        () => undefined,
        true,
      ],
      // WhatsApp: templates write/sync, bulk sends, opt-outs — MANAGER yes, AGENT no
      [
        'template sync',
        'MANAGER',
        'post',
        () => '/api/whatsapp/templates/sync',
        () => ({ integrationId: s.integrationId }),
        true,
      ],
      ['opt-outs list', 'MANAGER', 'get', () => `/api/whatsapp/opt-outs?subAccountId=${sub}`, () => undefined, true],
      ['bulk list', 'MANAGER', 'get', () => `/api/whatsapp/bulk?subAccountId=${sub}`, () => undefined, true],
      ['bulk list', 'AGENT', 'get', () => `/api/whatsapp/bulk?subAccountId=${sub}`, () => undefined, false],
      ['bulk recipients', 'AGENT', 'get', () => `/api/whatsapp/bulk/${bulkId}/recipients`, () => undefined, false],
      ['bulk cancel', 'AGENT', 'post', () => `/api/whatsapp/bulk/${bulkId}/cancel`, () => ({}), false],
      ['bulk pause', 'AGENT', 'post', () => `/api/whatsapp/bulk/${bulkId}/pause`, () => ({}), false],
      ['opt-out delete', 'AGENT', 'delete', () => '/api/whatsapp/opt-outs/1', () => undefined, false],
      // analytics, report templates, reports — MANAGER yes, AGENT no
      [
        'whatsapp analytics',
        'MANAGER',
        'get',
        () => `/api/whatsapp/analytics?subAccountId=${sub}`,
        () => undefined,
        true,
      ],
      ...(['timeseries', 'funnel', 'team', 'attribution', 'snapshots'] as const).flatMap(
        (route): Array<[string, Role, Method, () => string, () => object | undefined, boolean]> => [
          [
            `analytics ${route}`,
            'AGENT',
            'get',
            () => `/api/analytics/${route}?subAccountId=${sub}`,
            () => undefined,
            false,
          ],
          [
            `analytics ${route}`,
            'MANAGER',
            'get',
            () => `/api/analytics/${route}?subAccountId=${sub}`,
            () => undefined,
            true,
          ],
        ],
      ),
      // analytics rebuild — SUPER_ADMIN and ADMIN only
      ['analytics rebuild', 'SUPER_ADMIN', 'post', () => '/api/analytics/rebuild', () => ({ subAccountId: sub }), true],
      ['analytics rebuild', 'AGENT', 'post', () => '/api/analytics/rebuild', () => ({ subAccountId: sub }), false],
    ];
    it.each(cases)('%s as %s', async (_name, role, method, path, body, allowed) => {
      const res = await call(method, path(), bearer(role), body());
      if (allowed) expect([res.status, res.body.code]).not.toEqual([403, 'FORBIDDEN']);
      else expect([res.status, res.body.code]).toEqual([403, 'FORBIDDEN']);
      if (allowed) expect(res.status).toBeLessThan(300);
    });
  });

  it('templates: every documented filter narrows the page; AGENT asking for PENDING sees nothing', async () => {
    const manager = bearer('MANAGER');
    const names = async (query: string, token = manager) => {
      const res = await call('get', `/api/whatsapp/templates?subAccountId=${sub}&${query}`, token);
      expect(res.status).toBe(200);
      return (res.body.items as Array<{ name: string }>).map((i) => i.name).sort();
    };
    expect(await names('')).toEqual(['order_update', 'promo_beta']);
    expect(await names('status=PENDING')).toEqual(['promo_beta']);
    expect(await names('category=MARKETING')).toEqual(['promo_beta']);
    expect(await names('language=en_US')).toEqual(['order_update']);
    expect(await names('q=promo')).toEqual(['promo_beta']);
    expect(await names(`integrationId=${s.integrationId}`)).toEqual(['order_update', 'promo_beta']);
    expect(await names('status=PENDING', bearer('AGENT'))).toEqual([]);
    expect(await names('', bearer('AGENT'))).toEqual(['order_update']);
    // the item as API.md lists it
    const item = (await call('get', `/api/whatsapp/templates?subAccountId=${sub}&status=PENDING`, manager)).body
      .items[0] as Record<string, unknown>;
    expect(item.id).toBe(pendingTemplateId);
    for (const key of [
      'id',
      'integrationId',
      'externalId',
      'name',
      'language',
      'category',
      'status',
      'rejectedReason',
      'qualityScore',
      'parameterFormat',
      'components',
      'variables',
      'headerType',
      'buttons',
      'lastSyncedAt',
      'createdAt',
      'updatedAt',
    ])
      expect(item).toHaveProperty(key);
    for (const bad of ['status=APPROVED_NOT', 'category=utility_x'])
      expect((await call('get', `/api/whatsapp/templates?${bad}`, manager)).status).toBe(400);
  });

  it('messages: filters by direction, status, sentBy=me, leadId and conversationId; newest first', async () => {
    const me = bearer('AGENT', 'agent-me');
    const ids = async (query: string) => {
      const res = await call('get', `/api/whatsapp/messages?subAccountId=${sub}&${query}`, me);
      expect(res.status).toBe(200);
      return (res.body.items as Array<{ id: string }>).map((i) => i.id);
    };
    expect(await ids('')).toEqual([msg.theirs, msg.mine, msg.inbound, msg.older]);
    expect(await ids('direction=outbound')).toEqual([msg.theirs, msg.mine]);
    expect(await ids('direction=inbound')).toEqual([msg.inbound, msg.older]);
    expect(await ids('status=failed')).toEqual([msg.theirs]);
    expect(await ids('sentBy=me')).toEqual([msg.mine]);
    expect(await ids(`leadId=${leadId}`)).toEqual([msg.mine, msg.inbound, msg.older]);
    expect(await ids(`conversationId=${conv.unlinked}`)).toEqual([msg.theirs]);
    const page = await call('get', `/api/whatsapp/messages?subAccountId=${sub}&pageSize=2&page=2`, me);
    expect(page.body).toMatchObject({ page: 2, pageSize: 2, total: 4 });
    expect(page.body.items.map((i: { id: string }) => i.id)).toEqual([msg.inbound, msg.older]);
    // the message as API.md lists it
    const item = page.body.items[0] as Record<string, unknown>;
    for (const key of [
      'id',
      'conversationId',
      'leadId',
      'integrationId',
      'direction',
      'type',
      'text',
      'status',
      'wamid',
      'sentBy',
      'sentAt',
      'deliveredAt',
      'readAt',
      'failedAt',
      'receivedAt',
    ])
      expect(item).toHaveProperty(key);
    for (const bad of ['direction=sideways', 'status=bounced'])
      expect((await call('get', `/api/whatsapp/messages?${bad}`, me)).status).toBe(400);
  });

  it('conversations: integrationId, linked and q filter; the detail pages back with ?before=', async () => {
    const agent = bearer('AGENT');
    const ids = async (query: string) => {
      const res = await call('get', `/api/whatsapp/conversations?subAccountId=${sub}&${query}`, agent);
      expect(res.status).toBe(200);
      return (res.body.items as Array<{ id: string }>).map((i) => i.id);
    };
    expect(await ids('')).toEqual([conv.unlinked, conv.linked]);
    expect(await ids('linked=true')).toEqual([conv.linked]);
    expect(await ids('linked=false')).toEqual([conv.unlinked]);
    expect(await ids('q=ulrich')).toEqual([conv.unlinked]);
    expect(await ids('q=4155550101')).toEqual([conv.linked]);
    expect(await ids(`integrationId=${s.integrationId}`)).toEqual([conv.unlinked, conv.linked]);
    expect(await ids(`integrationId=${s.integrationId + 1000}`)).toEqual([]);
    const list = await call('get', `/api/whatsapp/conversations?subAccountId=${sub}&linked=true`, agent);
    expect(list.body.items[0]).toMatchObject({
      id: conv.linked,
      integrationId: s.integrationId,
      contact: { waId: '14155550101', phone: '+14155550101', profileName: 'Linda' },
      leadId,
      unread: 1,
      optedOut: false,
    });
    for (const key of ['lastMessageAt', 'lastInboundAt', 'windowOpenUntil'])
      expect(list.body.items[0]).toHaveProperty(key);

    const detail = await call('get', `/api/whatsapp/conversations/${conv.linked}`, agent);
    expect(detail.status).toBe(200);
    expect(detail.body.lead).toMatchObject({ id: leadId, status: expect.any(String) });
    expect(detail.body.messages.map((m: { id: string }) => m.id)).toEqual([msg.mine, msg.inbound, msg.older]);
    const back = await call('get', `/api/whatsapp/conversations/${conv.linked}?before=${msg.mine}`, agent);
    expect(back.body.messages.map((m: { id: string }) => m.id)).toEqual([msg.inbound, msg.older]);
  });

  it('opt-outs: phone or waId is required, scope is marketing|all; the item and the page as API.md lists them', async () => {
    const manager = bearer('MANAGER');
    for (const body of [
      { subAccountId: sub, scope: 'all' },
      { subAccountId: sub, phone: '+14155550303', scope: 'everything' },
      { subAccountId: sub, phone: '+14155550303' },
    ]) {
      const res = await call('post', '/api/whatsapp/opt-outs', manager, body);
      expect([JSON.stringify(body), res.status, res.body.code]).toEqual([
        JSON.stringify(body),
        400,
        'VALIDATION_FAILED',
      ]);
    }
    const created = await call('post', '/api/whatsapp/opt-outs', manager, {
      subAccountId: sub,
      waId: '14155550303',
      scope: 'all',
    });
    expect(created.status).toBe(201);
    const list = await call('get', `/api/whatsapp/opt-outs?subAccountId=${sub}`, manager);
    expect(list.body).toMatchObject({ page: 1, pageSize: 50, total: 1 });
    expect(list.body.items[0]).toMatchObject({
      id: created.body.id,
      waId: '14155550303',
      scope: 'all',
      source: 'manual',
      createdAt: expect.any(String),
    });
    expect(list.body.items[0]).toHaveProperty('phone');
    const removed = await call('delete', `/api/whatsapp/opt-outs/${created.body.id}`, manager);
    expect(removed.status).toBe(204);
    expect((await call('get', `/api/whatsapp/opt-outs?subAccountId=${sub}`, manager)).body.total).toBe(0);
  });

  it('bulk: the job and its recipients as API.md lists them; ?status= filters the recipients', async () => {
    const manager = bearer('MANAGER');
    const job = await call('get', `/api/whatsapp/bulk/${bulkId}`, manager);
    expect(job.status).toBe(200);
    expect(job.body).toMatchObject({
      id: bulkId,
      status: 'queued',
      counts: { total: 1, pending: 1, sent: 0, delivered: 0, read: 0, failed: 0, skipped: 0 },
      ratePerSecond: expect.any(Number),
      startedAt: null,
      completedAt: null,
    });
    expect(job.body).toHaveProperty('etaSeconds');
    expect(job.body).toHaveProperty('createdBy');
    const pending = await call('get', `/api/whatsapp/bulk/${bulkId}/recipients?status=pending`, manager);
    expect(pending.body).toMatchObject({ page: 1, total: 1 });
    expect(pending.body.items[0]).toMatchObject({ leadId, phone: '+14155550101', status: 'pending', messageId: null });
    expect(pending.body.items[0]).toHaveProperty('error');
    expect((await call('get', `/api/whatsapp/bulk/${bulkId}/recipients?status=sent`, manager)).body.total).toBe(0);
    expect((await call('get', `/api/whatsapp/bulk/${bulkId}/recipients?status=bogus`, manager)).status).toBe(400);
  });

  it('whatsapp analytics of a sub-account with nothing in it: every documented figure, rates 0', async () => {
    const empty = await call(
      'get',
      `/api/whatsapp/analytics?subAccountId=${sub}&from=2020-01-01&to=2020-01-31`,
      bearer('MANAGER'),
    );
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({
      sent: 0,
      delivered: 0,
      read: 0,
      failed: 0,
      deliveryRate: 0,
      readRate: 0,
      inbound: 0,
      conversations: 0,
      linkedConversations: 0,
      conversationToLeadRate: 0,
      optOuts: 0,
      byTemplate: [],
      byPricingCategory: { marketing: 0, utility: 0, authentication: 0, service: 0 },
    });
  });

  it('a manual opt-out (scope all) refuses a template send to that phone with RECIPIENT_OPTED_OUT and marks the conversation', async () => {
    const manager = bearer('MANAGER');
    const created = await call('post', '/api/whatsapp/opt-outs', manager, {
      subAccountId: sub,
      phone: '+14155550202',
      scope: 'all',
    });
    expect(created.status).toBe(201);
    const refused = await call('post', '/api/whatsapp/messages', bearer('AGENT'), {
      subAccountId: sub,
      to: '+14155550202',
      template: { id: s.templateId },
      parameters: { '1': 'Ulrich' },
    });
    expect([refused.status, refused.body.code]).toEqual([422, 'RECIPIENT_OPTED_OUT']);
    const listed = await call('get', `/api/whatsapp/conversations/${conv.unlinked}`, bearer('AGENT'));
    expect(listed.body.optedOut).toBe(true);
    expect((await call('delete', `/api/whatsapp/opt-outs/${created.body.id}`, manager)).status).toBe(204);
    expect((await call('get', `/api/whatsapp/conversations/${conv.unlinked}`, bearer('AGENT'))).body.optedOut).toBe(
      false,
    );
  });

  it('a template send to a lead fills {{lead.firstName}} from the lead (API.md: a value may be a lead placeholder)', async () => {
    const before = fake.sends.length;
    const sent = await call('post', '/api/whatsapp/messages', bearer('AGENT'), {
      subAccountId: sub,
      leadId,
      template: { name: 'order_update', language: 'en_US' },
      parameters: { '1': '{{lead.firstName}}' },
    });
    expect(sent.status).toBe(202);
    expect(sent.body).toEqual({ id: expect.any(String), status: 'queued', conversationId: conv.linked });
    const deadline = Date.now() + 20_000;
    while (fake.sends.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const body = JSON.stringify(fake.sends.slice(before).map((x) => x.body));
    expect(body).toContain('Linked Lead');
    expect(body).not.toContain('{{lead.firstName}}');
    const mine = await call('get', `/api/whatsapp/messages?subAccountId=${sub}&sentBy=me`, bearer('AGENT'));
    expect(mine.body.items.map((m: { id: string }) => m.id)).toContain(sent.body.id);
  });

  it('capture-lead answers 200 with the lead the phone already belongs to; auto-link says linked and unmatched', async () => {
    const agent = bearer('AGENT');
    const existing = await seedLead(t.sql, sub, '+14155550202', 'Ulrich Known');
    await t.sql.query(`INSERT INTO lead_identities (sub_account_id, key, lead_id) VALUES ($1, $2, $3::bigint)`, [
      sub,
      'phone:+14155550202',
      existing,
    ]);
    const captured = await call('post', `/api/whatsapp/conversations/${conv.unlinked}/capture-lead`, agent, {});
    expect([captured.status, captured.body.id]).toEqual([200, existing]);
    const other = await seedLead(t.sql, await createSubAccount(t, 'PRO', 'Foreign Co'), '+14155550909', 'Foreign');
    const foreignLink = await call('post', `/api/whatsapp/conversations/${conv.unlinked}/link`, agent, {
      leadId: other,
    });
    expect(foreignLink.status).toBe(404);
    const auto = await call('post', '/api/whatsapp/conversations/auto-link', agent, { subAccountId: sub });
    expect(auto.status).toBe(200);
    expect(auto.body).toEqual({ linked: expect.any(Number), unmatched: expect.any(Number) });
  });

  it('MANAGER writes templates: create 201 PENDING (submitted to Meta), sync 202 { jobId }', async () => {
    const manager = bearer('MANAGER');
    const created = await call('post', '/api/whatsapp/templates', manager, {
      integrationId: s.integrationId,
      name: 'manager_made',
      language: 'en_US',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Hello {{1}}', example: { body_text: [['Ana']] } }],
    });
    expect([created.status, created.body.status, typeof created.body.id]).toEqual([201, 'PENDING', 'string']);
    expect(fake.templates.find(WHATSAPP_CONFIG.wabaId, 'manager_made', 'en_US')).toBeDefined();
    const sync = await call('post', '/api/whatsapp/templates/sync', manager, { integrationId: s.integrationId });
    expect([sync.status, sync.body]).toEqual([202, { jobId: expect.any(String) }]);
  });

  describe('report templates take every documented dateRange, chart type and schedule frequency (API.md 308-311)', () => {
    const base = { type: 'CUSTOM', format: 'PDF' };
    const config = { metrics: ['newLeads'], groupBy: ['source', 'status'] };
    const cases: Array<[string, Record<string, unknown>]> = [
      ...['LAST_7_DAYS', 'LAST_30_DAYS', 'THIS_MONTH', 'LAST_MONTH'].map((d): [string, Record<string, unknown>] => [
        `dateRange ${d}`,
        { config: { ...config, dateRange: d } },
      ]),
      [
        'chartTypes bar,line,pie,table',
        { config: { ...config, dateRange: 'LAST_7_DAYS', chartTypes: ['bar', 'line', 'pie', 'table'] } },
      ],
      ['format EXCEL, type ROI', { type: 'ROI', format: 'EXCEL', config: { ...config, dateRange: 'LAST_7_DAYS' } }],
      [
        'schedule DAILY',
        {
          config: { ...config, dateRange: 'LAST_7_DAYS' },
          schedule: { frequency: 'DAILY', time: '07:30', recipients: ['a@example.com'] },
        },
      ],
      [
        'schedule MONTHLY',
        {
          config: { ...config, dateRange: 'LAST_MONTH' },
          schedule: { frequency: 'MONTHLY', dayOfMonth: 1, time: '06:00', recipients: ['a@example.com'] },
        },
      ],
    ];
    it.each(cases)('%s is 201', async (name, body) => {
      const res = await call('post', '/api/report-templates', bearer('MANAGER'), {
        subAccountId: sub,
        name,
        ...base,
        ...body,
      });
      expect([res.status, res.body.code]).toEqual([201, undefined]);
    });
  });

  it('single sends: the documented refusals answer before anything is queued', async () => {
    const agent = bearer('AGENT', 'agent-errors');
    const foreignSub = await createSubAccount(t, 'PRO', 'Foreign Sends');
    const foreignLead = await seedLead(t.sql, foreignSub, '+14155550808', 'Not Yours');
    const messagesBefore = (await t.sql.query('SELECT count(*)::int AS n FROM messages')).rows[0].n as number;
    const cases: Array<[string, object, number, string]> = [
      [
        'unknown template id',
        { to: '+14155550101', template: { id: '999999' }, parameters: { '1': 'x' } },
        404,
        'NOT_FOUND',
      ],
      [
        'text and template',
        { to: '+14155550101', text: 'x', template: { id: s.templateId } },
        400,
        'VALIDATION_FAILED',
      ],
      ['leadId and to', { to: '+14155550101', leadId, text: 'x' }, 400, 'VALIDATION_FAILED'],
      ["another sub-account's lead", { leadId: foreignLead, text: 'x' }, 404, 'NOT_FOUND'],
      [
        'a PENDING template',
        { to: '+14155550101', template: { id: pendingTemplateId }, parameters: { '1': 'x' } },
        422,
        'TEMPLATE_NOT_APPROVED',
      ],
      [
        'a missing parameter',
        { to: '+14155550101', template: { id: s.templateId } },
        400,
        'TEMPLATE_PARAMETERS_INVALID',
      ],
    ];
    for (const [name, body, status, code] of cases) {
      const res = await call('post', '/api/whatsapp/messages', agent, { subAccountId: sub, ...body });
      expect([name, res.status, res.body.code]).toEqual([name, status, code]);
    }
    expect((await t.sql.query('SELECT count(*)::int AS n FROM messages')).rows[0].n).toBe(messagesBefore);
    expect((await call('get', `/api/whatsapp/messages?subAccountId=${sub}&sentBy=me`, agent)).body.total).toBe(0);
    expect((await call('delete', '/api/whatsapp/opt-outs/999999', bearer('MANAGER'))).status).toBe(404);
  });

  describe('analytics query parameters (API.md 283-304)', () => {
    const accepted: Array<[string, string]> = [
      ...['hour', 'day', 'week', 'month'].map((g): [string, string] => ['timeseries', `granularity=${g}`]),
      ...['newLeads', 'convertedLeads', 'lostLeads', 'spend', 'messagesSent'].map((m): [string, string] => [
        'timeseries',
        `metric=${m}`,
      ]),
      ...['source', 'status', 'campaign', 'integration'].map((g): [string, string] => ['timeseries', `groupBy=${g}`]),
      ...['first', 'last', 'linear', 'time-decay', 'position'].map((m): [string, string] => [
        'attribution',
        `model=${m}`,
      ]),
      ...['HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY'].map((p): [string, string] => ['snapshots', `period=${p}`]),
      ['overview', 'compare=previous'],
      ['funnel', 'stages=NEW,CONTACTED,QUALIFIED,CONVERTED'],
    ];
    it.each(accepted)('%s?%s is 200', async (route, query) => {
      const res = await call(
        'get',
        `/api/analytics/${route}?subAccountId=${sub}&from=2020-01-01&to=2020-01-02&${query}`,
        bearer('MANAGER'),
      );
      expect([res.status, res.body.code]).toEqual([200, undefined]);
    });
    const refused: Array<[string, string]> = [
      ['timeseries', 'granularity=year'],
      ['timeseries', 'metric=revenue'],
      ['timeseries', 'groupBy=country'],
      ['attribution', 'model=u-shaped'],
      ['snapshots', 'period=YEARLY'],
      ['overview', 'compare=lastYear'],
    ];
    it.each(refused)('%s?%s is 400 VALIDATION_FAILED', async (route, query) => {
      const res = await call('get', `/api/analytics/${route}?subAccountId=${sub}&${query}`, bearer('MANAGER'));
      expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    });

    it('an empty range: zero counts and rates 0 (never NaN or null), zero-filled series, every funnel stage field', async () => {
      const q = `subAccountId=${sub}&from=2020-01-01&to=2020-01-03`;
      const manager = bearer('MANAGER');
      const overview = await call('get', `/api/analytics/overview?${q}&compare=previous`, manager);
      expect(overview.body).toMatchObject({
        timezone: 'UTC',
        totals: { newLeads: 0, convertedLeads: 0, lostLeads: 0, conversionRate: 0 },
        bySource: [],
        previous: { totals: { newLeads: 0, conversionRate: 0 } },
      });
      const series = await call('get', `/api/analytics/timeseries?${q}&granularity=day`, manager);
      expect(series.body).toMatchObject({ timezone: 'UTC', granularity: 'day' });
      expect(series.body.series).toHaveLength(1);
      expect(series.body.series[0].points.map((p: { value: number }) => p.value)).toEqual([0, 0, 0]);
      const funnel = await call('get', `/api/analytics/funnel?${q}`, manager);
      expect(funnel.body.stages).toHaveLength(4);
      for (const stage of funnel.body.stages)
        expect(stage).toEqual({
          stage: expect.any(String),
          count: 0,
          percentage: 0,
          fromPrevious: 0,
          dropOff: 0,
          dropOffRate: 0,
        });
      const rebuilt = await call('post', '/api/analytics/rebuild', bearer('ADMIN'), { subAccountId: sub });
      expect(rebuilt.status).toBe(202);
      expect(rebuilt.body).toEqual({ jobId: expect.any(String) });
    });
  });
});
