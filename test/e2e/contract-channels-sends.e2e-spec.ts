// Part of the API.md channels/analytics/reports/OAuth probe (header in contract-channels-lists.e2e-spec.ts):
// empty analytics, opt-outs and template sends, capture-lead, template writes, report templates,
// single-send refusals and analytics query parameters.
import { createSubAccount, WHATSAPP_CONFIG } from '../support/factories';
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { TestApp } from '../support/test-app';
import { BulkSetup, seedLead } from '../support/whatsapp-bulk';
import { Channels, startChannels, channelsHelpers } from '../support/contract-channels-setup';

describe('API.md contract: channels, analytics, reports, OAuth (black box)', () => {
  let w: Channels;
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let s: BulkSetup;
  let sub: number;
  let pendingTemplateId: string;
  let leadId: string;
  let conv: Channels['conv'];
  const { bearer, call } = channelsHelpers(() => w);

  beforeAll(async () => {
    w = await startChannels();
    ({ t, fake, s, sub, pendingTemplateId, leadId, conv } = w);
  });
  afterAll(() => w?.close());

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
