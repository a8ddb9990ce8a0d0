// Webhook processing on an OAuth connection: a 401 to the lead read refreshes once (under the refresh lock) and reads again; a refused grant stops the integration.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createIntegration, createSubAccount } from '../support/factories';
import { FakeLinkedInOptions, installFakeLinkedIn } from '../support/fake-linkedin';
import { FakeServer } from '../support/fake-server';
import { FakeOAuthServer } from '../support/fakes/oauth-server';
import { createTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';

const LI_FIXTURES = join(__dirname, '../../src/handlers/linkedin-lead-gen/fixtures');
const liFixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(LI_FIXTURES, name), 'utf8')) as Record<string, unknown>;
const CRM = 'https://crm.example.test/integrations/connected';
const HOUR = 3600_000;

describe('OAuth connections: webhook processing after a 401', () => {
  let t: TestApp;
  let linkedin: FakeServer;
  let linkedinAuth: FakeOAuthServer;
  let sub: number;
  let admin: string;
  const form = liFixture('lead-form.7234246.postman-example.json');
  const response = (id: string) => ({
    ...liFixture('lead-form-response.projected.ASSEMBLED.json'),
    form: undefined,
    id,
    submittedAt: Date.now() - HOUR,
  });
  // LinkedIn accepts one access token at a time: the latest one its token endpoint issued
  const fake: FakeLinkedInOptions = {
    today: new Date(),
    token: 'none-yet',
    owners: { sponsoredAccount: ['1234567', '7654321'], organization: ['1234567', '7654321'] },
    forms: { '7234246,1': form },
    responses: [response('w-1'), response('w-2')],
  };

  beforeAll(async () => {
    linkedin = await FakeServer.start();
    installFakeLinkedIn(linkedin, fake);
    linkedinAuth = await FakeOAuthServer.start({
      flavour: 'linkedin',
      clientId: 'li-client',
      clientSecret: 'li-secret',
      accessTtl: 5_184_000,
      onToken: (token) => {
        fake.token = token;
      },
    });
    t = await createTestApp({
      env: {
        LINKEDIN_API_URL: linkedin.url,
        OAUTH_REDIRECT_ALLOWLIST: CRM,
        LINKEDIN_CLIENT_ID: 'li-client',
        LINKEDIN_CLIENT_SECRET: 'li-secret',
        LINKEDIN_OAUTH_TOKEN_URL: `${linkedinAuth.url}/token`,
      },
    });
    sub = await createSubAccount(t, 'MAX', 'Webhook refresh');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([linkedin.close(), linkedinAuth.close()]);
  });

  /** A LinkedIn integration connected through the OAuth flow (no pasted token), active. */
  async function connect(account: string, webhookSecret: string): Promise<{ id: number; webhookUrl: string }> {
    const li = await createIntegration(t, sub, 'linkedin-lead-gen', {
      organizationId: account,
      clientId: 'li-app',
      clientSecret: webhookSecret,
    });
    const start = await t.http
      .post(`/api/integrations/${li.id}/oauth/start`)
      .set('authorization', admin)
      .send({ redirectUri: CRM });
    const back = await t.http.get(linkedinAuth.consent(start.body.authorizationUrl).path);
    expect(new URL(back.headers.location).searchParams.get('status')).toBe('active');
    return { id: li.id, webhookUrl: li.webhookUrl };
  }

  async function deliver(li: { webhookUrl: string }, account: string, secret: string, responseId: string) {
    const body = JSON.stringify({
      type: 'LEAD_ACTION',
      leadGenFormResponse: `urn:li:leadGenFormResponse:${responseId}`,
      leadGenForm: 'urn:li:versionedLeadGenForm:(urn:li:leadGenForm:7234246,1)',
      owner: { sponsoredAccount: `urn:li:sponsoredAccount:${account}` },
      leadType: 'SPONSORED',
      leadAction: 'CREATED',
      occurredAt: Date.now(),
    });
    const res = await t.http
      .post(new URL(li.webhookUrl).pathname)
      .set('content-type', 'application/json')
      .set('x-li-signature', createHmac('sha256', secret).update(`hmacsha256=${body}`).digest('hex'))
      .send(body);
    expect(res.body.status).toBe('received');
    return res.body.eventId as string;
  }

  it('the lead read answered 401 (token revoked upstream, not expired): one refresh, the read again, the lead is created', async () => {
    const li = await connect('1234567', 'li-webhook-secret-1');
    const connected = fake.token;
    fake.token = 'revoked-upstream';
    const before = linkedinAuth.tokenCalls('refresh_token');
    const eventId = await deliver(li, '1234567', 'li-webhook-secret-1', 'w-1');
    const event = await waitFor(async () => {
      const row = await t.sql.query<{ status: string; attempts: number }>(
        'SELECT status, attempts FROM webhook_events WHERE id = $1',
        [eventId],
      );
      return row.rows[0]?.status === 'PROCESSED' ? row.rows[0] : undefined;
    });
    expect(event.attempts).toBe(1);
    expect(linkedinAuth.tokenCalls('refresh_token') - before).toBe(1);
    const reads = linkedin.requests.filter((r) => r.path === '/rest/leadFormResponses/w-1');
    expect(reads.map((r) => r.headers.authorization)).toEqual([`Bearer ${connected}`, `Bearer ${fake.token}`]);
    expect(fake.token).not.toBe(connected);
    const lead = await t.sql.query(
      "SELECT l.email FROM leads l JOIN lead_sources s ON s.lead_id = l.id WHERE s.platform = 'linkedin' AND s.external_id = 'w-1'",
    );
    expect(lead.rows).toEqual([{ email: 'kevjohonson@email.com' }]);
  });

  it('a 401 whose refresh is refused (invalid_grant): status error with REAUTHORIZATION_REQUIRED, no further calls', async () => {
    const li = await connect('7654321', 'li-webhook-secret-2');
    fake.token = 'revoked-upstream-2';
    linkedinAuth.revokeAll = true;
    try {
      const before = linkedinAuth.tokenCalls('refresh_token');
      await deliver(li, '7654321', 'li-webhook-secret-2', 'w-2');
      const row = await waitFor(async () => {
        const res = await t.http.get(`/api/integrations/${li.id}`).set('authorization', admin);
        return res.body.status === 'error' ? res.body : undefined;
      });
      expect(row.errorMessage).toContain('REAUTHORIZATION_REQUIRED');
      // the retries of the event run without calling LinkedIn or its token endpoint again
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(linkedin.count('GET', '/rest/leadFormResponses/w-2')).toBe(1);
      expect(linkedinAuth.tokenCalls('refresh_token') - before).toBe(1);
      const stored = await t.sql.query('SELECT oauth_tokens FROM integrations WHERE id = $1', [li.id]);
      expect(stored.rows).toEqual([{ oauth_tokens: null }]);
    } finally {
      linkedinAuth.revokeAll = false;
    }
  });
});
