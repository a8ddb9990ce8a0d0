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
import { activate, waitFor } from '../support/webhooks';

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

describe('fuzzed provider answers, second round', () => {
  let t: TestApp;
  let graph: FakeServer;
  let linkedin: FakeServer;
  let ghl: FakeServer;
  let sub: number;
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
      const event = await waitFor(async () => {
        const row = (
          await t.sql.query<{ status: string; last_error: string | null; attempts: number }>(
            'SELECT status, last_error, attempts FROM webhook_events WHERE id = $1',
            [res.body.eventId],
          )
        ).rows[0];
        return row && (row.status === 'PROCESSED' || row.status === 'FAILED') ? row : undefined;
      });
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
});
