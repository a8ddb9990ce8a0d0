// Issue 10 over HTTP: LinkedIn versions and sync, generic replays and Standard Webhooks deliveries.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createIntegration, createSubAccount } from '../support/factories';
import { FakeLinkedInOptions, installFakeLinkedIn } from '../support/fake-linkedin';
import { FakeServer } from '../support/fake-server';
import { createTestApp, TestApp } from '../support/test-app';
import { genericSignature, waitFor } from '../support/webhooks';

const LI_FIXTURES = join(__dirname, '../../src/handlers/linkedin-lead-gen/fixtures');
const liFixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(LI_FIXTURES, name), 'utf8')) as Record<string, unknown>;
const HOUR = 3600_000;
const YEAR = 365 * 24 * HOUR;

/** Issue 10 end to end: LinkedIn versions and sync, generic webhooks as real senders sign them. */
describe('provider fidelity over HTTP', () => {
  let t: TestApp;
  let linkedin: FakeServer;
  let sub: number;
  let admin: string;

  beforeAll(async () => {
    linkedin = await FakeServer.start();
    t = await createTestApp({ env: { LINKEDIN_API_URL: linkedin.url, WEBHOOK_CACHE_TTL_MS: '0' } });
    sub = await createSubAccount(t, 'MAX', 'Fidelity Co');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t.close();
    await linkedin.close();
  });

  /** The connection test: what activates a pending integration (and proves it reaches its resource). */
  async function connect(integrationId: number): Promise<void> {
    const res = await t.http.post(`/api/integrations/${integrationId}/test`).set('authorization', admin);
    expect(res.body).toMatchObject({ success: true });
  }
  const integration = async (id: number) =>
    (await t.http.get(`/api/integrations/${id}`).set('authorization', admin)).body as Record<string, unknown>;

  describe('LinkedIn', () => {
    const AD_ACCOUNT = '1234567';
    const SECRET = 'li-client-secret-e2e';
    const TOKEN = 'AQV-li-token-e2e';
    const form = liFixture('lead-form.7234246.postman-example.json');
    const response = (id: string, submittedAt: number) => ({
      ...liFixture('lead-form-response.projected.ASSEMBLED.json'),
      form: undefined,
      id,
      submittedAt,
    });
    const notification = (responseId: string) =>
      JSON.stringify({
        type: 'LEAD_ACTION',
        leadGenFormResponse: `urn:li:leadGenFormResponse:${responseId}`,
        leadGenForm: 'urn:li:versionedLeadGenForm:(urn:li:leadGenForm:7234246,1)',
        owner: { sponsoredAccount: `urn:li:sponsoredAccount:${AD_ACCOUNT}` },
        leadType: 'SPONSORED',
        leadAction: 'CREATED',
        occurredAt: Date.now(),
      });
    const sign = (body: string) => createHmac('sha256', SECRET).update(`hmacsha256=${body}`).digest('hex');

    it('processes a lead with its consents and form version, then reports a sunset version on the integration', async () => {
      // LinkedIn's own clock: today, then two years on, when the version the hub derives today is sunset
      const fake: FakeLinkedInOptions = {
        today: new Date(),
        token: TOKEN,
        owners: { sponsoredAccount: [AD_ACCOUNT] },
        forms: { '7234246,1': form },
        responses: [response('r-1', Date.now() - HOUR), response('r-2', Date.now() - HOUR)],
      };
      installFakeLinkedIn(linkedin, fake);
      const li = await createIntegration(t, sub, 'linkedin-lead-gen', {
        organizationId: AD_ACCOUNT,
        clientId: 'li-app',
        clientSecret: SECRET,
        accessToken: TOKEN,
      });
      await connect(li.id);
      const deliver = async (responseId: string) => {
        const body = notification(responseId);
        const res = await t.http
          .post(new URL(li.webhookUrl).pathname)
          .set('content-type', 'application/json')
          .set('x-li-signature', sign(body))
          .send(body);
        expect(res.body.status).toBe('received');
        return res.body.eventId as string;
      };

      const first = await deliver('r-1');
      const lead = await waitFor(async () => {
        const row = await t.sql.query<{ id: string; status: string }>(
          "SELECT l.id FROM leads l JOIN lead_sources s ON s.lead_id = l.id WHERE s.platform = 'linkedin' AND s.external_id = 'r-1'",
        );
        return row.rows[0];
      });
      const detail = await t.http.get(`/api/leads/${lead.id}`).set('authorization', admin);
      expect(detail.body).toMatchObject({ firstName: 'Kevin', email: 'kevjohonson@email.com' });
      expect(detail.body.sourceTracking.latestTouch).toMatchObject({
        platform: 'linkedin',
        formName: 'Form with written spanish',
        details: {
          hidden_field: 'abc678',
          consents: [{ key: '0', accepted: true, label: 'marque mi casilla de verificación personalizada!' }],
        },
      });
      expect(first).toEqual(expect.any(String));

      fake.today = new Date(Date.now() + 2 * YEAR);
      const second = await deliver('r-2');
      const failed = await waitFor(async () => {
        const row = await t.sql.query<{ status: string; last_error: string }>(
          'SELECT status, last_error FROM webhook_events WHERE id = $1',
          [second],
        );
        return row.rows[0]?.status === 'FAILED' ? row.rows[0] : undefined;
      });
      expect(failed.last_error).toMatch(
        /^LinkedIn no longer serves API version \d{6} or \d{6} \(HTTP 426 NONEXISTENT_VERSION/,
      );
      // never retried: a 426 will not change by itself
      expect(linkedin.count('GET', '/rest/leadFormResponses/r-2')).toBe(2);
      const after = await integration(li.id);
      expect(after).toMatchObject({ status: 'error', errorMessage: failed.last_error });
    });

    it('reconciles missed notifications with a sync of the responses since the last run', async () => {
      const OTHER_ACCOUNT = '7654321';
      const owner = { sponsoredAccount: `urn:li:sponsoredAccount:${OTHER_ACCOUNT}` };
      const responses = [
        { ...response('s-1', Date.now() - 2 * HOUR), owner },
        { ...response('s-2', Date.now() - 3 * HOUR), owner },
        { ...response('s-old', Date.now() - 30 * 24 * HOUR), owner },
      ];
      installFakeLinkedIn(linkedin, {
        today: new Date(),
        token: TOKEN,
        owners: { sponsoredAccount: [OTHER_ACCOUNT] },
        forms: { '7234246,1': form },
        responses,
      });
      const li = await createIntegration(t, sub, 'linkedin-lead-gen', {
        organizationId: OTHER_ACCOUNT,
        ownerType: 'sponsoredAccount',
        clientId: 'li-app',
        clientSecret: SECRET,
        accessToken: TOKEN,
      });
      await connect(li.id);
      const started = await t.http.post(`/api/integrations/${li.id}/sync`).set('authorization', admin);
      expect(started.status).toBe(202);
      const run = await waitFor(async () => {
        const row = (await t.sql.query('SELECT * FROM sync_runs WHERE id = $1', [started.body.runId])).rows[0] as
          Record<string, unknown> | undefined;
        return row && row.status !== 'RUNNING' ? row : undefined;
      });
      expect(run).toMatchObject({ status: 'SUCCEEDED', fetched: 2 });
      // the same person as the webhook lead above (same e-mail): merged into it, two new touches
      expect(Number(run.created) + Number(run.updated)).toBe(2);
      // where the next run starts: this run's end
      expect(JSON.parse(String(run.cursor_after))).toEqual({ since: expect.any(Number) });
      const ids = await t.sql.query<{ external_id: string }>(
        "SELECT external_id FROM lead_sources WHERE integration_id = $1 AND platform = 'linkedin' ORDER BY external_id",
        [li.id],
      );
      expect(ids.rows.map((r) => r.external_id)).toEqual(['s-1', 's-2']);
    });
  });

  describe('generic webhooks', () => {
    const MAPPING = { mapping: { email: '/email', fullName: '/name' }, externalIdPointer: '/id' };

    it('keeps one captured delivery replayed with new unsigned x-webhook-id headers as one event and one source', async () => {
      const generic = await createIntegration(t, sub, 'generic-webhook', MAPPING);
      await connect(generic.id);
      const body = JSON.stringify({ id: 'sub-replay-1', email: 'replay@example.com', name: 'Ada Replay' });
      const ts = Math.floor(Date.now() / 1000);
      const send = (webhookId: string) =>
        t.http
          .post(new URL(generic.webhookUrl).pathname)
          .set('content-type', 'application/json')
          .set('x-webhook-timestamp', String(ts))
          .set('x-webhook-signature', genericSignature(body, generic.webhookSecret, ts))
          .set('x-webhook-id', webhookId)
          .send(body);
      const answers = [];
      for (const id of ['dlv_1', 'replay_a', 'replay_b', 'replay_c']) answers.push((await send(id)).body);
      expect(answers[0]).toEqual({ status: 'received', eventId: expect.any(String) });
      for (const replay of answers.slice(1))
        expect(replay).toEqual({ status: 'duplicate', eventId: answers[0].eventId });
      const counts = await t.sql.query<{ events: number }>(
        'SELECT count(*)::int AS events FROM webhook_events WHERE integration_id = $1',
        [generic.id],
      );
      expect(counts.rows[0].events).toBe(1);
      await waitFor(async () => {
        const sources = await t.sql.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM lead_sources WHERE integration_id = $1',
          [generic.id],
        );
        return sources.rows[0].n === 1;
      });
    });

    it('takes Standard Webhooks deliveries signed with the sender-generated whsec_ secret, and refuses a re-keyed replay', async () => {
      const secret = `whsec_${Buffer.alloc(32, 5).toString('base64')}`;
      const generic = await createIntegration(t, sub, 'generic-webhook', {
        ...MAPPING,
        signatureScheme: 'standard-webhooks',
        signingSecret: secret,
      });
      await connect(generic.id);
      // the secret is sealed and masked like any other
      expect((await integration(generic.id)).config).toMatchObject({ signingSecret: { secret: true } });
      const body = JSON.stringify({ id: 'sw-1', email: 'standard@example.com', name: 'Stan Dard' });
      const ts = Math.floor(Date.now() / 1000);
      const signature = createHmac('sha256', Buffer.from(secret.slice(6), 'base64'))
        .update(`msg_2KWPBgLlAfxdpx2AI54pPJ85f4W.${ts}.${body}`)
        .digest('base64');
      const send = (id: string) =>
        t.http
          .post(new URL(generic.webhookUrl).pathname)
          .set('content-type', 'application/json')
          .set('webhook-id', id)
          .set('webhook-timestamp', String(ts))
          .set('webhook-signature', `v1,${signature}`)
          .send(body);
      const first = await send('msg_2KWPBgLlAfxdpx2AI54pPJ85f4W');
      expect(first.body.status).toBe('received');
      expect((await send('msg_2KWPBgLlAfxdpx2AI54pPJ85f4W')).body).toEqual({
        status: 'duplicate',
        eventId: first.body.eventId,
      });
      const rekeyed = await send('msg_forged_new_id');
      expect(rekeyed.status).toBe(401);
      expect(rekeyed.body.code).toBe('WEBHOOK_SIGNATURE_INVALID');
    });
  });
});
