// Audit 22, Meta Lead Ads through the real webhook endpoint (POST /api/webhooks/meta-lead-ads) with a
// fake Graph API on 127.0.0.1. Meta's documentation this pins:
// - Webhooks for Lead Ads: one delivery holds `entry[]` per page, each with `changes[]` whose `value`
//   carries leadgen_id, page_id, form_id, ad_id, adgroup_id, created_time (unix seconds); signed with
//   X-Hub-Signature-256 (developers.facebook.com/docs/graph-api/webhooks/getting-started/webhooks-for-leadgen);
// - Retrieving Leads: GET /<leadgen id> with field_data, ad/campaign fields, is_organic; leads without an
//   ad are organic (developers.facebook.com/docs/marketing-api/guides/lead-ads/retrieving);
// - the Lead Ads Testing Tool's leads "are organic leads that are not associated with" an ad
//   (…/marketing-api/guides/lead-ads/testing-troubleshooting);
// - Graph errors: 100/33 for an object that does not exist (a deleted lead), 190 for an expired token,
//   10 / 200-299 for a missing permission (developers.facebook.com/docs/graph-api/guides/error-handling).
// Failed before their fixes:
// - Graph's error message went verbatim into the event's lastError and the integration's errorMessage
//   (the client redacts its own message, not the parsed body): a Graph or proxy echoing the request
//   stored the page token, the appsecret_proof and the app secret;
// - a contact field with several values became "a@x.example, b@y.example" as the lead's e-mail (and an
//   invalid phone); a bare value where Graph writes a list was lost;
// - `0` ids in the change became the lead's ad (and a GET /0 for its form), and a lead Graph calls
//   organic took the ad the change named;
// - a sync refused for a missing permission (code 200 as HTTP 400) left the integration active, while
//   the same refusal of a webhook's lead put it in error.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createIntegration, createSubAccount, META_CONFIG } from '../support/factories';
import { FakeReply, FakeRequest, FakeServer } from '../support/fake-server';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, metaSignature, settledEvent, waitFor } from '../support/webhooks';

interface Change {
  leadgen_id: string | number;
  page_id?: string | number;
  form_id?: string;
  ad_id?: string;
  adgroup_id?: string;
  created_time?: number | string;
}

/** A delivery with one entry per page and its changes. */
function delivery(entries: Array<{ page: string; changes: Change[] }>): string {
  return JSON.stringify({
    object: 'page',
    entry: entries.map(({ page, changes }) => ({
      id: page,
      time: 1764800000,
      changes: changes.map((value) => ({ field: 'leadgen', value: { page_id: page, ...value } })),
    })),
  });
}

describe('audit 22: Meta Lead Ads webhooks, Graph failures and garbage, source tracking', () => {
  let t: TestApp;
  let graph: FakeServer;
  let subA: number;
  let subB: number;

  beforeAll(async () => {
    graph = await FakeServer.start();
    t = await createTestApp({ env: { META_GRAPH_URL: graph.url, WEBHOOK_CACHE_TTL_MS: '0' } });
    subA = await createSubAccount(t, 'MAX', 'Audit 22 A');
    subB = await createSubAccount(t, 'MAX', 'Audit 22 B');
  });
  afterAll(async () => {
    await t?.close();
    await graph?.close();
  });

  const post = (body: string, secret = META_CONFIG.appSecret) =>
    t.http
      .post('/api/webhooks/meta-lead-ads')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(body, secret))
      .send(body);

  async function metaIntegration(sub: number, pageId: string, config: Record<string, string> = {}): Promise<number> {
    const integration = await createIntegration(t, sub, 'meta-lead-ads', { ...META_CONFIG, pageId, ...config });
    await activate(t, sub, integration.id);
    return integration.id;
  }

  const graphLead =
    (body: Record<string, unknown>): ((req: FakeRequest) => FakeReply) =>
    () => ({ status: 200, body });

  async function leadOf(sub: number, externalId: string): Promise<Record<string, unknown>> {
    const id = await waitFor(async () => {
      const row = await t.sql.query<{ lead_id: string }>(
        'SELECT lead_id::text AS lead_id FROM lead_identities WHERE sub_account_id = $1 AND key = $2',
        [sub, `ext:meta:${externalId}`],
      );
      return row.rows[0]?.lead_id;
    });
    const res = await t.http.get(`/api/leads/${id}`).set('authorization', `Bearer ${t.token('ADMIN', [sub])}`);
    expect(res.status).toBe(200);
    return res.body as Record<string, unknown>;
  }

  async function integrationRow(id: number): Promise<{ status: string; error_message: string | null }> {
    return (
      await t.sql.query<{ status: string; error_message: string | null }>(
        'SELECT status, error_message FROM integrations WHERE id = $1',
        [id],
      )
    ).rows[0];
  }

  describe('1. one delivery, several pages', () => {
    it('routes each page to its own tenant, stores each change once, drops the unknown page and verifies per integration', async () => {
      const PAGE_A = '2200000000000101';
      const PAGE_B = '2200000000000102';
      const PAGE_UNKNOWN = '2200000000000199';
      const intA = await metaIntegration(subA, PAGE_A);
      const intB = await metaIntegration(subB, PAGE_B);
      for (const id of ['22010001', '22010002', '22010003'])
        graph.on(
          'GET',
          `/${id}`,
          graphLead({ id, field_data: [{ name: 'email', values: [`${id}@audit22.example`] }] }),
        );
      const body = delivery([
        { page: PAGE_A, changes: [{ leadgen_id: '22010001' }, { leadgen_id: '22010002' }] },
        { page: PAGE_B, changes: [{ leadgen_id: '22010003' }] },
        { page: PAGE_UNKNOWN, changes: [{ leadgen_id: '22010099' }] },
      ]);
      const res = await post(body);
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('received');
      expect(res.body.eventIds).toHaveLength(3);
      for (const id of res.body.eventIds as string[])
        expect(await settledEvent(t, id)).toMatchObject({ status: 'PROCESSED' });

      const events = await t.sql.query<{ integration_id: number; external_id: string }>(
        'SELECT integration_id, external_id FROM webhook_events WHERE integration_id IN ($1, $2) ORDER BY external_id',
        [intA, intB],
      );
      expect(events.rows).toEqual([
        { integration_id: intA, external_id: '22010001' },
        { integration_id: intA, external_id: '22010002' },
        { integration_id: intB, external_id: '22010003' },
      ]);
      expect((await t.sql.query("SELECT 1 FROM webhook_events WHERE external_id = '22010099'")).rowCount).toBe(0);
      // each tenant holds its own leads only
      expect(await leadOf(subB, '22010003')).toMatchObject({ subAccountId: subB, email: '22010003@audit22.example' });
      const leakB = await t.sql.query(
        "SELECT 1 FROM lead_identities WHERE sub_account_id = $1 AND key LIKE 'ext:meta:2201000_'",
        [subA],
      );
      expect(leakB.rowCount).toBe(2);
      // each lead fetched once, with its own page's token (the hub-wide app, one token per page here)
      expect(graph.count('GET', '/22010001')).toBe(1);
      expect(graph.count('GET', '/22010099')).toBe(0);

      // the same delivery again: duplicates, nothing new stored or fetched
      const again = await post(body);
      expect(again.body.status).toBe('duplicate');
      expect(
        (await t.sql.query('SELECT 1 FROM webhook_events WHERE integration_id IN ($1, $2)', [intA, intB])).rowCount,
      ).toBe(3);
    });

    it("a page whose integration has another app secret is not stored from a delivery signed with the first app's secret", async () => {
      const PAGE_A = '2200000000000201';
      const PAGE_B = '2200000000000202';
      const intA = await metaIntegration(subA, PAGE_A);
      const intB = await metaIntegration(subB, PAGE_B, { appSecret: 'tenant-b-own-app-secret' });
      graph.on(
        'GET',
        '/22020001',
        graphLead({ id: '22020001', field_data: [{ name: 'email', values: ['a@x.example'] }] }),
      );
      const body = delivery([
        { page: PAGE_A, changes: [{ leadgen_id: '22020001' }] },
        { page: PAGE_B, changes: [{ leadgen_id: '22020002' }] },
      ]);
      const res = await post(body);
      expect(res.body).toMatchObject({ status: 'received' });
      expect(await settledEvent(t, res.body.eventId as string)).toMatchObject({ status: 'PROCESSED' });
      const rows = await t.sql.query<{ integration_id: number }>(
        'SELECT integration_id FROM webhook_events WHERE integration_id IN ($1, $2)',
        [intA, intB],
      );
      expect(rows.rows).toEqual([{ integration_id: intA }]);
      // signed with neither secret: 401, nothing stored
      const forged = await post(body, 'not-an-app-secret');
      expect(forged.status).toBe(401);
      expect(forged.body.code).toBe('WEBHOOK_SIGNATURE_INVALID');
    });
  });

  describe('1a. one leadgen id twice in one delivery', () => {
    it('stores and processes it once', async () => {
      const PAGE = '2200000000000141';
      const intId = await metaIntegration(subA, PAGE);
      graph.on(
        'GET',
        '/22014001',
        graphLead({ id: '22014001', field_data: [{ name: 'email', values: ['twice@audit22.example'] }] }),
      );
      const res = await post(
        delivery([
          { page: PAGE, changes: [{ leadgen_id: '22014001' }] },
          { page: PAGE, changes: [{ leadgen_id: '22014001' }, { leadgen_id: 22014001 }] },
        ]),
      );
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('received');
      expect(await settledEvent(t, res.body.eventId as string)).toMatchObject({ status: 'PROCESSED' });
      const rows = await t.sql.query('SELECT 1 FROM webhook_events WHERE integration_id = $1', [intId]);
      expect(rows.rowCount).toBe(1);
      expect(graph.count('GET', '/22014001')).toBe(1);
    });
  });

  describe('1b. ids as JSON numbers, one page in two entries', () => {
    it('one page in two entries, leadgen ids as JSON numbers past 2^53: both stored, their ids exact', async () => {
      const PAGE = '2200000000000151';
      const intId = await metaIntegration(subA, PAGE);
      for (const id of ['98765432109876543', '98765432109876545'])
        graph.on(
          'GET',
          `/${id}`,
          graphLead({ id, field_data: [{ name: 'email', values: [`${id}@audit22.example`] }] }),
        );
      // 98765432109876543 and …545 are not doubles: JSON.parse reads both as 98765432109876540
      const body =
        `{"object":"page","entry":[` +
        `{"id":${PAGE},"time":1764842400,"changes":[{"field":"leadgen","value":{"leadgen_id":98765432109876543,"page_id":${PAGE},"created_time":1764842400}}]},` +
        `{"id":"${PAGE}","time":1764842401,"changes":[{"field":"leadgen","value":{"leadgen_id":98765432109876545,"page_id":${PAGE},"created_time":1764842401}}]}]}`;
      const res = await post(body);
      expect(res.status).toBe(200);
      expect(res.body.eventIds).toHaveLength(2);
      for (const id of res.body.eventIds as string[])
        expect(await settledEvent(t, id)).toMatchObject({ status: 'PROCESSED' });
      const events = await t.sql.query<{ external_id: string }>(
        'SELECT external_id FROM webhook_events WHERE integration_id = $1 ORDER BY external_id',
        [intId],
      );
      expect(events.rows.map((r) => r.external_id)).toEqual(['98765432109876543', '98765432109876545']);
    });
  });

  describe('2 and 5. Graph refuses at processing time; no secret in a stored error', () => {
    it('a deleted lead (100/33) fails its event once, for good, and leaves the integration active', async () => {
      const PAGE = '2200000000000301';
      const intId = await metaIntegration(subA, PAGE);
      graph.on('GET', '/22030001', () => ({
        status: 400,
        body: {
          error: {
            message:
              "Unsupported get request. Object with ID '22030001' does not exist, cannot be loaded due to missing permissions, or does not support this operation.",
            type: 'GraphMethodException',
            code: 100,
            error_subcode: 33,
            fbtrace_id: 'A22',
          },
        },
      }));
      const res = await post(delivery([{ page: PAGE, changes: [{ leadgen_id: '22030001' }] }]));
      const event = await settledEvent(t, res.body.eventId as string);
      expect(event).toMatchObject({ status: 'FAILED', attempts: 1 });
      expect(event.last_error).toContain('does not exist');
      expect(graph.count('GET', '/22030001')).toBe(1);
      expect(await integrationRow(intId)).toMatchObject({ status: 'active', error_message: null });
    });

    it('a Graph outage (500) leaves the event PENDING, retried after min(2^attempts, 60) minutes', async () => {
      const PAGE = '2200000000000306';
      await metaIntegration(subA, PAGE);
      graph.on('GET', '/22030006', () => ({
        status: 500,
        body: { error: { message: 'An unexpected error has occurred.', code: 1, is_transient: false } },
      }));
      const before = Date.now();
      const res = await post(delivery([{ page: PAGE, changes: [{ leadgen_id: '22030006' }] }]));
      const eventId = res.body.eventId as string;
      const event = await waitFor(
        async () =>
          (
            await t.sql.query<{ status: string; attempts: number; last_error: string | null }>(
              'SELECT status, attempts, last_error FROM webhook_events WHERE id = $1 AND last_error IS NOT NULL',
              [eventId],
            )
          ).rows[0],
        20_000,
        'the first attempt',
      );
      expect(event).toMatchObject({ status: 'PENDING', attempts: 1 });
      const retry = await t.sql.query<{ start_after: Date }>(
        "SELECT start_after FROM pgboss.job WHERE name = 'webhook-process' AND data->>'eventId' = $1 AND state = 'created'",
        [eventId],
      );
      expect(retry.rows).toHaveLength(1);
      const wait = retry.rows[0].start_after.getTime() - before;
      expect(wait).toBeGreaterThanOrEqual(2 * 60_000 - 5_000);
      expect(wait).toBeLessThanOrEqual(2 * 60_000 + 30_000);
    });

    it('an expired token (190) fails the event and puts the integration in error with a reason, no token or secret echoed', async () => {
      const PAGE = '2200000000000302';
      const token = 'EAAG-audit22-expired-page-token-0302';
      const intId = await metaIntegration(subA, PAGE, { pageAccessToken: token });
      graph.on('GET', '/22030002', (req) => ({
        status: 400,
        body: {
          error: {
            // a Graph (or proxy) that echoes what it was sent: the token, the URL with its query, the secret
            message: `Error validating access token: Session has expired. Sent ${req.headers.authorization} to ${graph.url}${req.url}&access_token=${token} (app ${META_CONFIG.appSecret})`,
            type: 'OAuthException',
            code: 190,
            error_subcode: 463,
          },
        },
      }));
      const res = await post(delivery([{ page: PAGE, changes: [{ leadgen_id: '22030002' }] }]));
      const event = await settledEvent(t, res.body.eventId as string);
      expect(event).toMatchObject({ status: 'FAILED', attempts: 1 });
      const row = await integrationRow(intId);
      expect(row.status).toBe('error');
      expect(row.error_message).toMatch(/reconnect/i);
      for (const text of [event.last_error ?? '', row.error_message ?? '']) {
        expect(text).not.toContain(token);
        expect(text).not.toContain(META_CONFIG.appSecret);
        expect(text).not.toMatch(/appsecret_proof=[0-9a-f]{8}/);
      }
      // the API shows the same, without secrets
      const read = await t.http
        .get(`/api/integrations/${intId}/events`)
        .set('authorization', `Bearer ${t.token('ADMIN', [subA])}`);
      expect(JSON.stringify(read.body)).not.toContain(token);
    });

    it("a lead Graph refuses with a message echoing the request's token is stored without it (event error)", async () => {
      const PAGE = '2200000000000303';
      const token = 'EAAG-audit22-page-token-echoed-0303';
      await metaIntegration(subA, PAGE, { pageAccessToken: token });
      graph.on('GET', '/22030003', (req) => ({
        status: 400,
        body: {
          error: {
            message: `Invalid parameter in ${req.url}&access_token=${token}`,
            type: 'OAuthException',
            code: 100,
          },
        },
      }));
      const res = await post(delivery([{ page: PAGE, changes: [{ leadgen_id: '22030003' }] }]));
      const event = await settledEvent(t, res.body.eventId as string);
      expect(event.status).toBe('FAILED');
      expect(event.last_error).not.toContain(token);
      expect(event.last_error).not.toMatch(/appsecret_proof=[0-9a-f]{8}/);
    });

    it('a missing permission (code 200) puts the integration in error, without the token', async () => {
      const PAGE = '2200000000000304';
      const token = 'EAAG-audit22-page-token-perm-0304';
      const intId = await metaIntegration(subA, PAGE, { pageAccessToken: token });
      graph.on('GET', '/22030004', () => ({
        status: 403,
        body: { error: { message: `Requires leads_retrieval permission (token ${token})`, code: 200 } },
      }));
      const res = await post(delivery([{ page: PAGE, changes: [{ leadgen_id: '22030004' }] }]));
      const event = await settledEvent(t, res.body.eventId as string);
      expect(event.status).toBe('FAILED');
      const row = await integrationRow(intId);
      expect(row.status).toBe('error');
      expect(row.error_message).toContain('leads_retrieval');
      expect(row.error_message).not.toContain(token);
      expect(event.last_error).not.toContain(token);
    });

    it('a sync refused with an echoed token records the run error without it', async () => {
      const PAGE = '2200000000000305';
      const token = 'EAAG-audit22-page-token-sync-0305';
      const intId = await metaIntegration(subA, PAGE, { pageAccessToken: token });
      graph.on('GET', `/${PAGE}/leadgen_forms`, (req) => ({
        status: 400,
        body: { error: { message: `Bad request ${req.url}&access_token=${token} ${token}`, code: 100 } },
      }));
      const trigger = await t.http
        .post(`/api/integrations/${intId}/sync`)
        .set('authorization', `Bearer ${t.token('ADMIN', [subA])}`);
      expect(trigger.status).toBe(202);
      const run = await waitFor(
        async () =>
          (
            await t.sql.query<{ status: string; error: string | null }>(
              "SELECT status, error FROM sync_runs WHERE id = $1::bigint AND status <> 'RUNNING'",
              [trigger.body.runId],
            )
          ).rows[0],
        30_000,
        'sync run',
      );
      expect(run.status).toBe('FAILED');
      expect(run.error).not.toContain(token);
      const row = await integrationRow(intId);
      expect(row.error_message ?? '').not.toContain(token);
    });
  });

  describe('2b. a sync with an expired token', () => {
    it('fails the run and puts the integration in error, without the token', async () => {
      const PAGE = '2200000000000307';
      const token = 'EAAG-audit22-page-token-sync190-0307';
      const intId = await metaIntegration(subA, PAGE, { pageAccessToken: token });
      graph.on('GET', `/${PAGE}/leadgen_forms`, (req) => ({
        status: 400,
        body: {
          error: {
            message: `Error validating access token ${token}: Session has expired (${req.url})`,
            type: 'OAuthException',
            code: 190,
            error_subcode: 463,
          },
        },
      }));
      const trigger = await t.http
        .post(`/api/integrations/${intId}/sync`)
        .set('authorization', `Bearer ${t.token('ADMIN', [subA])}`);
      expect(trigger.status).toBe(202);
      const run = await waitFor(
        async () =>
          (
            await t.sql.query<{ status: string; error: string | null }>(
              "SELECT status, error FROM sync_runs WHERE id = $1::bigint AND status <> 'RUNNING'",
              [trigger.body.runId],
            )
          ).rows[0],
        30_000,
        'sync run',
      );
      expect(run.status).toBe('FAILED');
      expect(run.error).not.toContain(token);
      const row = await waitFor(async () => {
        const r = await integrationRow(intId);
        return r.status === 'error' ? r : undefined;
      });
      expect(row.error_message).toBeTruthy();
      expect(row.error_message).not.toContain(token);
    });
  });

  describe('2c. a sync refused for a missing permission', () => {
    it('fails the run and reports it on the integration (status error), as a webhook fetch does', async () => {
      const PAGE = '2200000000000308';
      const FORM = '2203080000F';
      const token = 'EAAG-audit22-page-token-perm-sync-0308';
      const intId = await metaIntegration(subA, PAGE, { pageAccessToken: token });
      graph.on('GET', `/${PAGE}/leadgen_forms`, () => ({ status: 200, body: { data: [{ id: FORM }] } }));
      // Graph sends its permission errors as HTTP 400 (developers.facebook.com/docs/graph-api/guides/error-handling)
      graph.on('GET', `/${FORM}/leads`, () => ({
        status: 400,
        body: {
          error: {
            message: `(#200) Requires leads_retrieval permission to manage the object (token ${token})`,
            type: 'OAuthException',
            code: 200,
          },
        },
      }));
      const trigger = await t.http
        .post(`/api/integrations/${intId}/sync`)
        .set('authorization', `Bearer ${t.token('ADMIN', [subA])}`);
      expect(trigger.status).toBe(202);
      const run = await waitFor(
        async () =>
          (
            await t.sql.query<{ status: string; error: string | null }>(
              "SELECT status, error FROM sync_runs WHERE id = $1::bigint AND status <> 'RUNNING'",
              [trigger.body.runId],
            )
          ).rows[0],
        30_000,
        'sync run',
      );
      expect(run.status).toBe('FAILED');
      expect(run.error).not.toContain(token);
      const row = await integrationRow(intId);
      expect(row.status).toBe('error');
      expect(row.error_message).toContain('leads_retrieval');
      expect(row.error_message).not.toContain(token);
    });
  });

  describe('3. field_data garbage', () => {
    it('maps what it can into lead fields and customAnswers, without crashing on odd shapes', async () => {
      const PAGE = '2200000000000401';
      await metaIntegration(subA, PAGE);
      const long = 'x'.repeat(20_000);
      graph.on(
        'GET',
        '/22040001',
        graphLead({
          id: '22040001',
          created_time: '2026-12-01T08:49:14+0000',
          field_data: [
            { name: 'full_name', values: ['Ana Maria Costa'] },
            { name: 'first_name', values: ['Ana'] },
            { name: 'last_name', values: ['Costa'] },
            { name: 'email', values: ['  Ana.Costa@Example.COM '] },
            { name: 'phone_number', values: ['5551234567'] },
            { name: 'which_services', values: ['roof', 'gutters'] },
            { name: 'budget', values: [12000] },
            { name: 'weird_object', values: [{ nested: true }] },
            { name: 'weird_bool', values: [true] },
            { name: 'not_a_list', values: 'single string' },
            { name: 'null_values', values: null },
            { name: 'empty', values: [] },
            { name: 'blank', values: ['   '] },
            { name: 'long_answer', values: [long] },
            { name: 42, values: ['numeric name'] },
            { values: ['no name'] },
            'not a record',
            { name: '__proto__', values: ['polluted'] },
            { name: 'unknown_field_xyz', values: ['kept'] },
          ],
          custom_disclaimer_responses: [
            { checkbox_key: 'marketing_optin', is_checked: '1' },
            { checkbox_key: 'terms', is_checked: '' },
          ],
          platform: 'ig',
          is_organic: false,
          ad_id: '120200000000401',
          ad_name: 'Roof ad',
          campaign_id: '120200000000400',
          campaign_name: 'Roofs Q4',
          partner_name: 'Some CRM Partner',
        }),
      );
      const res = await post(delivery([{ page: PAGE, changes: [{ leadgen_id: '22040001' }] }]));
      expect(await settledEvent(t, res.body.eventId as string)).toMatchObject({ status: 'PROCESSED' });
      const lead = await leadOf(subA, '22040001');
      expect(lead).toMatchObject({
        fullName: 'Ana Maria Costa',
        firstName: 'Ana',
        lastName: 'Costa',
        email: 'ana.costa@example.com',
      });
      // a phone without a country code is kept as given, never lost
      expect(String(lead.phone)).toContain('5551234567');
      const answers = lead.customAnswers as Record<string, string>;
      expect(answers).toMatchObject({
        which_services: 'roof, gutters',
        budget: '12000',
        unknown_field_xyz: 'kept',
      });
      expect(typeof answers.long_answer).toBe('string');
      expect(answers).not.toHaveProperty('empty');
      expect(answers).not.toHaveProperty('null_values');
      expect(Object.prototype.hasOwnProperty.call({}, 'polluted')).toBe(false);
      const tracking = lead.sourceTracking as Record<string, unknown>;
      expect(tracking).toMatchObject({
        campaignId: '120200000000400',
        campaignName: 'Roofs Q4',
        adId: '120200000000401',
        adName: 'Roof ad',
      });
      const touch = tracking.latestTouch as Record<string, unknown>;
      expect(touch).toMatchObject({
        isOrganic: false,
        details: expect.objectContaining({ platform: 'ig', partnerName: 'Some CRM Partner' }),
      });
    });

    it('a contact field with several values fills the lead with the first (the rest kept as an answer), never "a, b"', async () => {
      const PAGE = '2200000000000402';
      await metaIntegration(subA, PAGE);
      graph.on(
        'GET',
        '/22040002',
        graphLead({
          id: '22040002',
          field_data: [
            { name: 'full_name', values: ['', 'Bea Lima'] },
            { name: 'email', values: ['bea@audit22.example', 'other@audit22.example'] },
            { name: 'phone_number', values: ['+14155550123', '+14155550124'] },
            // a bare value where Graph writes a list: read as a list of one
            { name: 'city', values: 'Lisbon' },
          ],
        }),
      );
      const res = await post(delivery([{ page: PAGE, changes: [{ leadgen_id: '22040002' }] }]));
      expect(await settledEvent(t, res.body.eventId as string)).toMatchObject({ status: 'PROCESSED' });
      const lead = await leadOf(subA, '22040002');
      expect(lead).toMatchObject({
        fullName: 'Bea Lima',
        email: 'bea@audit22.example',
        phone: '+14155550123',
        phoneValid: true,
        city: 'Lisbon',
      });
      expect(lead.customAnswers).toMatchObject({
        email: 'bea@audit22.example, other@audit22.example',
        phone_number: '+14155550123, +14155550124',
      });
    });
  });

  describe('4. organic and test leads, times, one lead per leadgen id', () => {
    it('an organic lead (no ad_id, is_organic) has no ad; the webhook created_time (unix) stands when Graph has none', async () => {
      const PAGE = '2200000000000501';
      await metaIntegration(subA, PAGE);
      graph.on(
        'GET',
        '/22050001',
        graphLead({
          id: '22050001',
          form_id: '2205000000F',
          is_organic: true,
          field_data: [{ name: 'email', values: ['organic@audit22.example'] }],
        }),
      );
      graph.on('GET', '/2205000000F', () => ({ status: 200, body: { id: '2205000000F', name: 'Organic form' } }));
      const res = await post(
        delivery([
          { page: PAGE, changes: [{ leadgen_id: '22050001', form_id: '2205000000F', created_time: 1764806400 }] },
        ]),
      );
      expect(await settledEvent(t, res.body.eventId as string)).toMatchObject({ status: 'PROCESSED' });
      const lead = await leadOf(subA, '22050001');
      const tracking = lead.sourceTracking as Record<string, unknown>;
      expect(tracking).toMatchObject({ adId: null, campaignId: null, formId: '2205000000F', formName: 'Organic form' });
      expect(tracking.latestTouch).toMatchObject({ isOrganic: true, submittedAt: '2025-12-04T00:00:00.000Z' });
    });

    it('a Testing Tool lead (organic, ids as JSON numbers, no ad) is processed like every lead', async () => {
      const PAGE = '2200000000000502';
      await metaIntegration(subA, PAGE);
      graph.on(
        'GET',
        '/22050002',
        graphLead({
          id: '22050002',
          created_time: '2026-12-04T10:00:00+0000',
          is_organic: true,
          field_data: [
            { name: 'full_name', values: ['<test lead: dummy data for full_name>'] },
            { name: 'email', values: ['test@fb.com'] },
          ],
        }),
      );
      const body = `{"object":"page","entry":[{"id":${PAGE},"time":1764842400,"changes":[{"field":"leadgen","value":{"leadgen_id":22050002,"page_id":${PAGE},"form_id":2205000000,"created_time":1764842400}}]}]}`;
      const res = await post(body);
      expect(res.body.status).toBe('received');
      expect(await settledEvent(t, res.body.eventId as string)).toMatchObject({ status: 'PROCESSED' });
      const lead = await leadOf(subA, '22050002');
      expect(lead.email).toBe('test@fb.com');
      expect(lead.sourceTracking).toMatchObject({ adId: null, formId: '2205000000' });
      expect((lead.sourceTracking as Record<string, unknown>).latestTouch).toMatchObject({
        submittedAt: '2026-12-04T10:00:00.000Z',
      });
    });

    it('ids of 0 in the change (as simulators and test setups send for an organic lead) name no ad and no form', async () => {
      const PAGE = '2200000000000504';
      await metaIntegration(subA, PAGE);
      graph.on(
        'GET',
        '/22050004',
        graphLead({
          id: '22050004',
          is_organic: true,
          field_data: [{ name: 'email', values: ['zero@audit22.example'] }],
        }),
      );
      const res = await post(
        delivery([{ page: PAGE, changes: [{ leadgen_id: '22050004', ad_id: '0', adgroup_id: '0', form_id: '0' }] }]),
      );
      expect(await settledEvent(t, res.body.eventId as string)).toMatchObject({ status: 'PROCESSED' });
      expect(graph.count('GET', '/0')).toBe(0);
      const lead = await leadOf(subA, '22050004');
      expect(lead.sourceTracking).toMatchObject({ adId: null, formId: null });
    });

    it('an organic lead (Graph: is_organic) does not take the ad the change names', async () => {
      const PAGE = '2200000000000505';
      await metaIntegration(subA, PAGE);
      graph.on(
        'GET',
        '/22050005',
        graphLead({
          id: '22050005',
          is_organic: true,
          field_data: [{ name: 'email', values: ['organic2@audit22.example'] }],
        }),
      );
      const res = await post(
        delivery([
          {
            page: PAGE,
            changes: [{ leadgen_id: '22050005', ad_id: '120200000000505', adgroup_id: '120200000000505' }],
          },
        ]),
      );
      expect(await settledEvent(t, res.body.eventId as string)).toMatchObject({ status: 'PROCESSED' });
      const lead = await leadOf(subA, '22050005');
      expect(lead.sourceTracking).toMatchObject({ adId: null });
      expect((lead.sourceTracking as Record<string, unknown>).latestTouch).toMatchObject({ isOrganic: true });
    });

    it('the same leadgen id delivered twice and listed by a sync makes one lead with one source', async () => {
      const PAGE = '2200000000000503';
      const FORM = '2205030000F';
      const intId = await metaIntegration(subA, PAGE);
      const record = {
        id: '22050003',
        form_id: FORM,
        created_time: new Date(Date.now() - 3600_000).toISOString().replace(/\.\d{3}Z$/, '+0000'),
        ad_id: '120200000000503',
        campaign_id: '120200000000500',
        field_data: [
          { name: 'full_name', values: ['Dup Licate'] },
          { name: 'email', values: ['dup@audit22.example'] },
        ],
      };
      graph.on('GET', '/22050003', graphLead(record));
      graph.on('GET', `/${FORM}`, () => ({ status: 200, body: { id: FORM, name: 'Dup form' } }));
      graph.on('GET', `/${PAGE}/leadgen_forms`, () => ({ status: 200, body: { data: [{ id: FORM }] } }));
      graph.on('GET', `/${FORM}/leads`, () => ({ status: 200, body: { data: [record] } }));
      const change = { leadgen_id: '22050003', form_id: FORM, ad_id: '120200000000503', created_time: 1764806400 };
      const first = await post(delivery([{ page: PAGE, changes: [change] }]));
      expect(await settledEvent(t, first.body.eventId as string)).toMatchObject({ status: 'PROCESSED' });
      // a redelivery with another time (Meta retries; a re-signed copy): the same event
      const second = await post(delivery([{ page: PAGE, changes: [{ ...change, created_time: 1764806401 }] }]));
      expect(second.body).toMatchObject({ status: 'duplicate', eventId: first.body.eventId });

      const trigger = await t.http
        .post(`/api/integrations/${intId}/sync`)
        .set('authorization', `Bearer ${t.token('ADMIN', [subA])}`);
      expect(trigger.status).toBe(202);
      await waitFor(
        async () =>
          (
            await t.sql.query("SELECT 1 FROM sync_runs WHERE id = $1::bigint AND status = 'SUCCEEDED'", [
              trigger.body.runId,
            ])
          ).rowCount === 1,
        30_000,
        'sync run',
      );
      const lead = await leadOf(subA, '22050003');
      const tracking = lead.sourceTracking as { sources: Array<Record<string, unknown>> };
      expect(tracking.sources).toHaveLength(1);
      expect(tracking.sources[0]).toMatchObject({ externalId: '22050003', adId: '120200000000503' });
      const leads = await t.sql.query(
        "SELECT 1 FROM leads WHERE sub_account_id = $1 AND email = 'dup@audit22.example'",
        [subA],
      );
      expect(leads.rowCount).toBe(1);
    });
  });

  describe("Meta's published leadgen sample, as it is", () => {
    // fixtures/meta-lead-ads/leadgen-webhook.page-sample.json: entry id 153125381133 beside page_id
    // 123123123 in its changes. Routed by the entry id only, an integration configured with the page_id
    // the sample names got 401 for Meta's own example
    it('reaches the integration whose pageId is the page_id its changes name', async () => {
      const body = readFileSync(
        join(__dirname, '../../src/handlers/meta-lead-ads/fixtures/leadgen-webhook.page-sample.json'),
      );
      const intId = await metaIntegration(subB, '123123123');
      for (const id of ['123123123123', '123123123124'])
        graph.on('GET', `/${id}`, graphLead({ id, field_data: [{ name: 'email', values: [`${id}@sample.example`] }] }));
      const res = await post(body.toString('utf8'));
      expect([res.status, res.body.status]).toEqual([200, 'received']);
      expect(res.body.eventIds).toHaveLength(2);
      for (const id of res.body.eventIds as string[])
        expect(await settledEvent(t, id)).toMatchObject({ status: 'PROCESSED' });
      const stored = await t.sql.query('SELECT 1 FROM webhook_events WHERE integration_id = $1', [intId]);
      expect(stored.rowCount).toBe(2);
      // signed with another secret it is still refused: the page_id routes, the integration's secret verifies
      const forged = await post(body.toString('utf8'), 'not-the-app-secret');
      expect([forged.status, forged.body.code]).toEqual([401, 'WEBHOOK_SIGNATURE_INVALID']);
    });
  });
});
