/**
 * Findings of a second fuzz of what provider APIs answer (the Graph lead and sync pages, LinkedIn's
 * sync pages, the WhatsApp template list, Facebook Ads insights and the GoHighLevel API; see
 * /work/notes/fuzz3.md). Each case once failed an event for good on a transient fault, ended a sync
 * "nothing new" without reading anything, failed a run on a database error, stored nonsense, left a
 * refused token unreported, or answered 500 from our API.
 */
import { WhatsAppTemplatesService } from '../../src/modules/whatsapp/whatsapp-templates.service';
import { createIntegration, createSubAccount, GHL_CONFIG, WHATSAPP_CONFIG } from '../support/factories';
import { FakeReply, FakeServer } from '../support/fake-server';
import { metaSig } from '../support/hostile-corpus';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, settledEvent, waitFor } from '../support/webhooks';

const META = {
  pageId: '153125381133',
  appSecret: 'fuzz3-meta-secret',
  pageAccessToken: 'EAAG-fuzz3',
  verifyToken: 'v3',
};
const LINKEDIN = {
  organizationId: '1234567',
  ownerType: 'sponsoredAccount',
  clientId: 'li-app',
  clientSecret: 'fuzz3-li-secret',
  accessToken: 'AQV-fuzz3',
};
const FACEBOOK_ADS = { adAccountId: '4242', accessToken: 'EAAG-fuzz3-ads' };
const FORM_ID = '777';
const HTML: FakeReply = { status: 200, raw: '<html>502 Bad Gateway</html>', headers: { 'content-type': 'text/html' } };
const EMPTY: FakeReply = { status: 200, raw: '' };
const NOT_PAGES: Array<[string, FakeReply]> = [
  ['an HTML page', HTML],
  ['an empty body', EMPTY],
  ['an object without the list', { status: 200, body: {} }],
];

describe('fuzzed provider answers, second round', () => {
  let t: TestApp;
  let graph: FakeServer;
  let linkedin: FakeServer;
  let ghl: FakeServer;
  let sub: number;
  let admin: string;
  const ids = { meta: 0, linkedin: 0, whatsapp: 0, ads: 0, ghl: 0 };
  let serial = 0;

  beforeAll(async () => {
    [graph, linkedin, ghl] = await Promise.all([FakeServer.start(), FakeServer.start(), FakeServer.start()]);
    t = await createTestApp({
      env: {
        META_GRAPH_URL: graph.url,
        LINKEDIN_API_URL: linkedin.url,
        GHL_API_URL: ghl.url,
        WEBHOOK_CACHE_TTL_MS: '0',
        WEBHOOK_MAX_ATTEMPTS: '2',
        WEBHOOK_RETRY_UNIT_MS: '20',
        OUTBOUND_CIRCUIT_THRESHOLD: '1000',
      },
    });
    sub = await createSubAccount(t, 'MAX', 'Fuzz 3');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
    ids.meta = (await createIntegration(t, sub, 'meta-lead-ads', META)).id;
    ids.linkedin = (await createIntegration(t, sub, 'linkedin-lead-gen', LINKEDIN)).id;
    ids.whatsapp = (await createIntegration(t, sub, 'whatsapp-cloud', WHATSAPP_CONFIG)).id;
    ids.ads = (await createIntegration(t, sub, 'facebook-ads', FACEBOOK_ADS)).id;
    ids.ghl = (await createIntegration(t, sub, 'gohighlevel', GHL_CONFIG)).id;
    for (const id of Object.values(ids)) await activate(t, sub, id);
    graph.on('GET', `/${FORM_ID}`, () => ({ status: 200, body: { id: FORM_ID, questions: [] } }));
    graph.on('GET', `/${META.pageId}/leadgen_forms`, () => ({ status: 200, body: { data: [{ id: FORM_ID }] } }));
    graph.on('GET', `/act_${FACEBOOK_ADS.adAccountId}`, () => ({ status: 200, body: { timezone_name: 'UTC' } }));
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([graph?.close(), linkedin?.close(), ghl?.close()]);
  });
  afterEach(async () => {
    for (const id of Object.values(ids)) await activate(t, sub, id);
  });

  const unhandled = () =>
    t
      .logs()
      .split('\n')
      .filter((line) => line.includes('"unhandled error"'));
  const integration = async (id: number) =>
    (await t.sql.query('SELECT status, error_message FROM integrations WHERE id = $1', [id])).rows[0] as {
      status: string;
      error_message: string | null;
    };

  /** A sync of the integration, to its end: status, error and how many records it read. */
  const sync = async (id: number) => {
    const started = await t.http.post(`/api/integrations/${id}/sync`).set('authorization', admin);
    expect(started.status).toBe(202);
    return waitFor(
      async () => {
        const row = (
          await t.sql.query<{ status: string; error: string | null; fetched: number }>(
            'SELECT status, error, fetched FROM sync_runs WHERE id = $1',
            [started.body.runId],
          )
        ).rows[0];
        return row && row.status !== 'RUNNING' ? row : undefined;
      },
      20_000,
      'sync run',
    );
  };

  describe('meta lead fetch: a 200 that is an HTML page or an empty body is retried, not failed for good', () => {
    /** A leadgen webhook whose lead the fake Graph answers with `replies`, one per call (the last repeats). */
    const metaLead = async (replies: FakeReply[]) => {
      const id = `9${String(++serial).padStart(5, '0')}`;
      let calls = 0;
      graph.on('GET', `/${id}`, () => replies[Math.min(calls++, replies.length - 1)]);
      const body = JSON.stringify({
        object: 'page',
        entry: [
          {
            id: META.pageId,
            time: 1438292065,
            changes: [{ field: 'leadgen', value: { leadgen_id: id, page_id: META.pageId, form_id: FORM_ID } }],
          },
        ],
      });
      const res = await t.http
        .post('/api/webhooks/meta-lead-ads')
        .set('content-type', 'application/json')
        .set('x-hub-signature-256', metaSig(body, META.appSecret))
        .send(body);
      expect(res.body.status).toBe('received');
      const event = await settledEvent(t, res.body.eventId);
      return { id, event, calls: () => calls };
    };
    const lead = (email: string): FakeReply => ({
      status: 200,
      body: { id: 'x', form_id: FORM_ID, field_data: [{ name: 'email', values: [email] }] },
    });

    it.each([
      ['an HTML page', HTML],
      ['an empty body', EMPTY],
      ['an empty body without a JSON type', { status: 200, raw: '', headers: { 'content-type': 'text/plain' } }],
    ])('%s, then the lead: the retry stores it', async (_name, first) => {
      const { event, calls } = await metaLead([first, lead(`retry${serial}@example.com`)]);
      expect(event).toMatchObject({ status: 'PROCESSED', last_error: null });
      expect(calls()).toBe(2);
    });

    it('an HTML page every time: FAILED after the attempts, saying what Graph answered', async () => {
      const { id, event, calls } = await metaLead([HTML]);
      expect(event).toEqual({
        status: 'FAILED',
        attempts: 2,
        last_error: `Graph API answered lead ${id} with an HTML page instead of a JSON object`,
      });
      expect(calls()).toBe(2);
      expect((await integration(ids.meta)).status).toBe('active');
      expect(unhandled()).toEqual([]);
    });
  });

  describe('whatsapp template reconcile: a refused token or permission is reported on the integration', () => {
    it.each([
      [
        'an expired token (400, code 190)',
        400,
        190,
        'Error validating access token: Session has expired',
        'Meta refused the access token reading the message templates (Error validating access token: Session has expired); reconnect the WhatsApp Business Account',
      ],
      [
        'a missing permission (403, code 200)',
        403,
        200,
        'Permissions error',
        'Meta refused the message templates for a missing permission (Permissions error); reconnect with whatsapp_business_management',
      ],
    ])('%s', async (_name, status, code, message, reason) => {
      graph.on('GET', `/${WHATSAPP_CONFIG.wabaId}/message_templates`, () => ({
        status,
        body: { error: { message, type: 'OAuthException', code } },
      }));
      await expect(t.app.get(WhatsAppTemplatesService).reconcile(BigInt(ids.whatsapp))).rejects.toThrow(reason);
      expect(await integration(ids.whatsapp)).toEqual({ status: 'error', error_message: reason });
    });

    it('another refusal (code 100) fails the reconcile only', async () => {
      graph.on('GET', `/${WHATSAPP_CONFIG.wabaId}/message_templates`, () => ({
        status: 400,
        body: { error: { message: 'Unsupported get request', code: 100 } },
      }));
      await expect(t.app.get(WhatsAppTemplatesService).reconcile(BigInt(ids.whatsapp))).rejects.toThrow();
      expect(await integration(ids.whatsapp)).toEqual({ status: 'active', error_message: null });
    });
  });

  describe('a 200 that is not a page fails the sync run instead of ending it "nothing new"', () => {
    it.each(NOT_PAGES)('meta lead ads: the leads page is %s', async (_name, reply) => {
      graph.on('GET', `/${FORM_ID}/leads`, () => reply);
      const run = await sync(ids.meta);
      expect(run.status).toBe('FAILED');
      expect(run.error).toMatch(/^Graph API answered the leads of form 777 with .+ instead of a page$/);
    });

    it('meta lead ads: the list of lead forms is an HTML page', async () => {
      graph.on('GET', `/${META.pageId}/leadgen_forms`, () => HTML);
      const run = await sync(ids.meta);
      graph.on('GET', `/${META.pageId}/leadgen_forms`, () => ({ status: 200, body: { data: [{ id: FORM_ID }] } }));
      expect(run).toMatchObject({ status: 'FAILED', error: expect.stringContaining('with an HTML page') });
    });

    it('meta lead ads: a real empty page is still a success', async () => {
      graph.on('GET', `/${FORM_ID}/leads`, () => ({ status: 200, body: { data: [] } }));
      expect(await sync(ids.meta)).toEqual({ status: 'SUCCEEDED', error: null, fetched: 0 });
    });

    it.each(NOT_PAGES)('linkedin: the form responses page is %s', async (_name, reply) => {
      linkedin.on('GET', '/rest/leadFormResponses', () => reply);
      const run = await sync(ids.linkedin);
      expect(run.status).toBe('FAILED');
      expect(run.error).toMatch(/^LinkedIn answered the lead form responses with .+ instead of a page$/);
    });

    it('linkedin: a real empty page is still a success', async () => {
      linkedin.on('GET', '/rest/leadFormResponses', () => ({ status: 200, body: { elements: [], paging: {} } }));
      expect(await sync(ids.linkedin)).toEqual({ status: 'SUCCEEDED', error: null, fetched: 0 });
    });

    it.each(NOT_PAGES)('gohighlevel: the contacts search is %s', async (_name, reply) => {
      ghl.on('POST', '/contacts/search', () => reply);
      const run = await sync(ids.ghl);
      expect(run.status).toBe('FAILED');
      expect(run.error).toMatch(/^POST \/contacts\/search answered with /);
    });

    it('gohighlevel: a real empty search is still a success', async () => {
      ghl.on('POST', '/contacts/search', () => ({ status: 200, body: { contacts: [], total: 0 } }));
      expect(await sync(ids.ghl)).toEqual({ status: 'SUCCEEDED', error: null, fetched: 0 });
    });
  });

  describe('facebook ads insights', () => {
    const insights = `/act_${FACEBOOK_ADS.adAccountId}/insights`;
    const today = new Date().toISOString().slice(0, 10);
    const row = (extra: Record<string, unknown>) => ({
      campaign_id: '11',
      campaign_name: 'Winter',
      adset_id: '22',
      ad_id: '33',
      ad_name: 'Ad',
      spend: '12.50',
      impressions: '100',
      clicks: '7',
      account_currency: 'USD',
      date_start: today,
      date_stop: today,
      ...extra,
    });
    const costs = async () =>
      (
        await t.sql.query<{ ad_id: string; spend: string; impressions: number; campaign_name: string | null }>(
          'SELECT ad_id, spend::text AS spend, impressions, campaign_name FROM ad_costs WHERE integration_id = $1 ORDER BY ad_id',
          [ids.ads],
        )
      ).rows;

    it.each(NOT_PAGES)(
      'an insights page that is %s fails the run and leaves the stored spend alone',
      async (_name, reply) => {
        graph.on('GET', insights, () => ({ status: 200, body: { data: [row({})] } }));
        expect(await sync(ids.ads)).toEqual({ status: 'SUCCEEDED', error: null, fetched: 1 });
        graph.on('GET', insights, () => reply);
        const run = await sync(ids.ads);
        expect(run.status).toBe('FAILED');
        expect(run.error).toMatch(/^Graph API answered the insights page with .+ instead of a page$/);
        expect(await costs()).toEqual([{ ad_id: '33', spend: '12.500000', impressions: 100, campaign_name: 'Winter' }]);
      },
    );

    it('a missing permission (400, code 10) fails the run and is reported on the integration', async () => {
      graph.on('GET', insights, () => ({
        status: 400,
        body: { error: { message: 'Ad account owner has NOT grant ads_management or ads_read', code: 10 } },
      }));
      const run = await sync(ids.ads);
      const reason =
        "Meta refused the ad account's insights for a missing permission (Ad account owner has NOT grant ads_management or ads_read); reconnect with ads_read";
      expect(run).toEqual({ status: 'FAILED', error: reason, fetched: 0 });
      expect(await integration(ids.ads)).toEqual({ status: 'error', error_message: reason });
    });

    it('rows ad_costs cannot hold are skipped; the rest of the page is stored', async () => {
      graph.on('GET', insights, () => ({
        status: 200,
        body: {
          data: [
            row({ ad_id: '40', spend: '-5' }),
            row({ ad_id: '41', spend: '123456789012345678901234' }),
            row({ ad_id: '42', spend: 1e15 }),
            row({ ad_id: '43', impressions: '1e10' }),
            row({ ad_id: '44', clicks: -3 }),
            row({ ad_id: '45', actions: [{ action_type: 'lead', value: '99999999999' }] }),
            row({ ad_id: '46', date_start: '2026-02-30' }),
            row({ ad_id: '47', date_start: '0000-01-01' }),
            row({ ad_id: '48', campaign_id: 'c\u0000d' }),
            row({ ad_id: '49', campaign_id: 'x'.repeat(100_000) }),
            row({
              ad_id: '50',
              campaign_name: 'Win\u0000ter',
              ad_name: 'A\ud800d',
              account_currency: 'X'.repeat(10_000),
            }),
            row({ ad_id: '51', spend: '0.000001' }),
          ],
        },
      }));
      expect(await sync(ids.ads)).toEqual({ status: 'SUCCEEDED', error: null, fetched: 12 });
      const stored = await t.sql.query<{ ad_id: string; spend: string; name: string; currency: string | null }>(
        `SELECT ad_id, spend::text AS spend, ad_name AS name, currency FROM ad_costs
          WHERE integration_id = $1 AND (spend <> 0 OR impressions <> 0) ORDER BY ad_id`,
        [ids.ads],
      );
      expect(stored.rows).toEqual([
        { ad_id: '50', spend: '12.500000', name: 'A\ufffdd', currency: null },
        { ad_id: '51', spend: '0.000001', name: 'Ad', currency: 'USD' },
      ]);
      expect(unhandled()).toEqual([]);
    });

    it('a row whose spend is unreadable is left out with a warning, a real zero spend is stored as 0', async () => {
      const unreadable: unknown[] = ['abc', 'NaN', '1e400', '', { amount: '12.50' }];
      graph.on('GET', insights, () => ({
        status: 200,
        body: {
          data: [
            ...unreadable.map((spend, i) => row({ ad_id: `6${i}`, spend })),
            row({ ad_id: '70', spend: '0' }),
            row({ ad_id: '71', spend: '0.00' }),
          ],
        },
      }));
      const before = t.logs().length;
      expect(await sync(ids.ads)).toEqual({ status: 'SUCCEEDED', error: null, fetched: 7 });
      const stored = await t.sql.query<{ ad_id: string; spend: string }>(
        `SELECT ad_id, spend::text AS spend FROM ad_costs WHERE integration_id = $1 AND ad_id >= '60' ORDER BY ad_id`,
        [ids.ads],
      );
      expect(stored.rows).toEqual([
        { ad_id: '70', spend: '0.000000' },
        { ad_id: '71', spend: '0.000000' },
      ]);
      const skipped = t
        .logs()
        .slice(before)
        .split('\n')
        .filter((line) => line.includes('ad cost row skipped'));
      expect(skipped).toHaveLength(unreadable.length);
      expect(skipped.every((line) => line.includes('a spend that is not a non-negative amount'))).toBe(true);
      expect(unhandled()).toEqual([]);
    });

    it("an unreadable spend keeps the day's stored spend; a row the platform stops reporting is zeroed", async () => {
      const stored = async () =>
        (
          await t.sql.query<{ ad_id: string; spend: string }>(
            `SELECT ad_id, spend::text AS spend FROM ad_costs WHERE integration_id = $1 AND ad_id IN ('80', '81') ORDER BY ad_id`,
            [ids.ads],
          )
        ).rows;
      graph.on('GET', insights, () => ({
        status: 200,
        body: { data: [row({ ad_id: '80', spend: '12.50' }), row({ ad_id: '81', spend: '3.00' })] },
      }));
      expect((await sync(ids.ads)).status).toBe('SUCCEEDED');
      expect(await stored()).toEqual([
        { ad_id: '80', spend: '12.500000' },
        { ad_id: '81', spend: '3.000000' },
      ]);
      // the next pull reports 80 with a spend nobody can read, and no longer reports 81
      graph.on('GET', insights, () => ({ status: 200, body: { data: [row({ ad_id: '80', spend: 'abc' })] } }));
      expect((await sync(ids.ads)).status).toBe('SUCCEEDED');
      expect(await stored()).toEqual([
        { ad_id: '80', spend: '12.500000' },
        { ad_id: '81', spend: '0.000000' },
      ]);
      expect(unhandled()).toEqual([]);
    });
  });

  describe('gohighlevel passthrough', () => {
    const base = () => `/api/integrations/${ids.ghl}/ghl`;

    it.each([
      ['an HTML page', HTML],
      ['an empty body', EMPTY],
      ['a JSON array', { status: 200, body: [] }],
    ])('calendars and free slots answered with %s: 502, not an empty list', async (_name, reply) => {
      ghl.on('GET', '/calendars/', () => reply);
      ghl.on('GET', '/calendars/cal1/free-slots', () => reply);
      const calendars = await t.http.get(`${base()}/calendars`).set('authorization', admin);
      const slots = await t.http
        .get(`${base()}/calendars/cal1/free-slots?startDate=2026-12-01&endDate=2026-12-02`)
        .set('authorization', admin);
      for (const res of [calendars, slots]) {
        expect(res.status).toBe(502);
        expect(res.body).toEqual({
          statusCode: 502,
          code: 'CONNECTION_FAILED',
          message: expect.stringMatching(/^GoHighLevel is unavailable: GET .+ answered with /),
          details: [],
        });
      }
    });

    it('calendars without a calendars list: 502; free slots as {}: no free days', async () => {
      ghl.on('GET', '/calendars/', () => ({ status: 200, body: { traceId: 't' } }));
      ghl.on('GET', '/calendars/cal1/free-slots', () => ({ status: 200, body: { traceId: 't' } }));
      expect((await t.http.get(`${base()}/calendars`).set('authorization', admin)).status).toBe(502);
      const slots = await t.http
        .get(`${base()}/calendars/cal1/free-slots?startDate=2026-12-01&endDate=2026-12-02`)
        .set('authorization', admin);
      expect([slots.status, slots.body]).toEqual([200, []]);
    });

    it('free slots: unreadable days and slots are left out with a warning; nothing readable is a 502', async () => {
      const url = `${base()}/calendars/cal1/free-slots?startDate=2026-12-01&endDate=2026-12-05`;
      ghl.on('GET', '/calendars/cal1/free-slots', () => ({
        status: 200,
        body: {
          '2026-12-02': { slots: ['2026-12-02T10:00:00+01:00', 'not a time', '2026-12-02T10:00:99+01:00'] },
          '9999-99-99': { slots: ['2026-12-02T11:00:00+01:00'] },
          '2026-02-30': { slots: ['2026-03-02T11:00:00+01:00'] },
          traceId: 't',
        },
      }));
      const before = t.logs().length;
      const slots = await t.http.get(url).set('authorization', admin);
      expect([slots.status, slots.body]).toEqual([200, [{ date: '2026-12-02', slots: ['2026-12-02T10:00:00+01:00'] }]]);
      expect(t.logs().slice(before)).toContain('GoHighLevel free slots: unreadable days or slots left out');
      ghl.on('GET', '/calendars/cal1/free-slots', () => ({
        status: 200,
        body: { '9999-99-99': { slots: ['2026-12-02T11:00:00+01:00'] }, '2026-12-02': { slots: ['soon'] } },
      }));
      const garbage = await t.http.get(url).set('authorization', admin);
      expect([garbage.status, garbage.body]).toEqual([
        502,
        {
          statusCode: 502,
          code: 'CONNECTION_FAILED',
          message: 'GoHighLevel is unavailable: GET /calendars/cal1/free-slots answered without one readable free slot',
          details: [],
        },
      ]);
      expect(unhandled()).toEqual([]);
    });

    it('a contact id with a NUL from the contact upsert: 502, not 500, and no link stored', async () => {
      const lead = await t.http
        .post('/api/leads')
        .set('authorization', admin)
        .send({ subAccountId: sub, fullName: 'Nul Id', email: 'nul-id@example.com' });
      ghl.on('POST', '/contacts/upsert', () => ({
        status: 200,
        raw: '{"new":true,"contact":{"id":"ct\\u0000x"}}',
      }));
      const res = await t.http.post(`${base()}/contacts`).set('authorization', admin).send({ leadId: lead.body.id });
      expect(res.status).toBe(502);
      expect(res.body).toMatchObject({
        code: 'CONNECTION_FAILED',
        message: 'GoHighLevel is unavailable: POST /contacts/upsert answered without the expected id',
      });
      expect(unhandled()).toEqual([]);
    });
  });
});
