// A black-box probe of API.md "WhatsApp", "Messaging channels", "Analytics", "Reports" and "OAuth connections"
// and of the roles table's rows for those families: statements no other spec asserts, read literally.
// Conversations and messages are seeded in SQL (as messaging-inbox does); everything else goes over HTTP.
import { BulkSetup } from '../support/whatsapp-bulk';
import { Channels, startChannels, channelsHelpers, Method, Role } from '../support/contract-channels-setup';

describe('API.md contract: channels, analytics, reports, OAuth (black box)', () => {
  let w: Channels;
  let s: BulkSetup;
  let sub: number;
  let pendingTemplateId: string;
  let leadId: string;
  let conv: Channels['conv'];
  let msg: Channels['msg'];
  let bulkId: string;
  const { bearer, call } = channelsHelpers(() => w);

  beforeAll(async () => {
    w = await startChannels();
    ({ s, sub, pendingTemplateId, leadId, conv, msg, bulkId } = w);
  });
  afterAll(() => w?.close());

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
    const bogus = await call('get', `/api/whatsapp/bulk/${bulkId}/recipients?status=bogus`, manager);
    expect(bogus.status).toBe(400);
    // the statuses recipients show, each once (the ledger's own states are read but not offered)
    expect(bogus.body.details).toEqual([
      {
        field: 'status',
        messages: [
          'status must be one of the following values: pending, sent, delivered, read, failed, skipped, unknown',
        ],
      },
    ]);
  });
});
