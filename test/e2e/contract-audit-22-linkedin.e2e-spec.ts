// Audit 22, LinkedIn Lead Gen end to end, against API.md ("Webhooks", "Standard handler
// configuration": apiVersion YYYYMM defaulting to a version LinkedIn still serves) and LinkedIn's
// documentation:
// - webhook validation (learn.microsoft.com/linkedin/shared/api-guide/webhook-validation):
//   `challengeCode` (a UUID) answered `{ challengeCode, challengeResponse: hex HMAC-SHA256(clientSecret,
//   challengeCode) }`, with `applicationId` naming the app for parent/child apps; notifications signed
//   `X-LI-Signature` = hex HMAC-SHA256(clientSecret, "hmacsha256=" + body);
// - versioning (learn.microsoft.com/linkedin/marketing/versioning): monthly `LinkedIn-Version: YYYYMM`,
//   the first versioned release June 2022 (202206), each kept at least a year; a version LinkedIn does
//   not serve answers 426 NONEXISTENT_VERSION;
// - cursor-based pagination of the ads search finders since 202401 (learn.microsoft.com/linkedin/
//   marketing/integrations/ads/cursor-based-pagination): adCampaigns `q=search` pages with
//   `pageSize` / `pageToken`, the next token in `metadata.nextPageToken`.
// Failed before their fixes: a 426 stored LinkedIn's text unredacted as the sync run's, the event's and
// the integration's error (the access token and client secret it echoed) and named no version to set;
// a 400/500 echoing the client secret was stored with it; an apiVersion from the future was accepted
// (one before 202206 still is: LinkedIn's 426 and its message name the version to set); a campaign on the second adCampaigns page had spend without a name; a
// notification naming "urn:li:leadGenFormResponse:" (no id) was stored to fail instead of ignored.
import { createHmac, randomUUID } from 'node:crypto';
import { linkedInVersionFor } from '../../src/handlers/linkedin-lead-gen/linkedin-version';
import { createIntegration, createSubAccount, templateId } from '../support/factories';
import { FakeReply, FakeServer } from '../support/fake-server';
import { installFakeLinkedIn } from '../support/fake-linkedin';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, settledEvent, waitFor } from '../support/webhooks';

const hmacHex = (key: string, text: string): string => createHmac('sha256', key).update(text).digest('hex');

describe('API.md contract audit 22: LinkedIn Lead Gen', () => {
  let t: TestApp;
  let linkedin: FakeServer;
  let sub: number;
  let other: number;
  let admin: string;

  beforeAll(async () => {
    linkedin = await FakeServer.start();
    t = await createTestApp({ env: { LINKEDIN_API_URL: linkedin.url, WEBHOOK_CACHE_TTL_MS: '0' } });
    sub = await createSubAccount(t, 'MAX', 'LinkedIn Audit 22');
    other = await createSubAccount(t, 'MAX', 'LinkedIn Audit 22 other tenant');
    admin = `Bearer ${t.token('ADMIN', [sub, other])}`;
  });
  afterAll(async () => {
    await t?.close();
    await linkedin?.close();
  });
  afterEach(() => linkedin.reset());

  async function sync(id: number): Promise<{ status: string; error: string | null }> {
    const started = await t.http.post(`/api/integrations/${id}/sync`).set('authorization', admin);
    expect(started.status).toBe(202);
    return waitFor(
      async () => {
        const row = (
          await t.sql.query<{ status: string; error: string | null }>(
            'SELECT status, error FROM sync_runs WHERE id = $1',
            [started.body.runId],
          )
        ).rows[0];
        return row && row.status !== 'RUNNING' ? row : undefined;
      },
      30_000,
      'sync run',
    );
  }

  async function integrationError(id: number): Promise<string | null> {
    return (
      await t.sql.query<{ error_message: string | null }>('SELECT error_message FROM integrations WHERE id = $1', [id])
    ).rows[0].error_message;
  }

  function notification(owner: string, responseUrn: string, extra: Record<string, unknown> = {}): string {
    return JSON.stringify({
      type: 'LEAD_ACTION',
      leadGenFormResponse: responseUrn,
      leadGenForm: 'urn:li:versionedLeadGenForm:(urn:li:leadGenForm:1,1)',
      owner: { sponsoredAccount: `urn:li:sponsoredAccount:${owner}` },
      leadType: 'SPONSORED',
      leadAction: 'CREATED',
      occurredAt: Date.now(),
      ...extra,
    });
  }

  const deliver = (body: string, secret: string) =>
    t.http
      .post('/api/webhooks/linkedin-lead-gen')
      .set('content-type', 'application/json')
      .set('x-li-signature', `hmacsha256=${hmacHex(secret, `hmacsha256=${body}`)}`)
      .send(body);

  describe('secrets never reach a stored error, whatever LinkedIn echoes', () => {
    const token = 'li-audit22-echoed-access-token';
    const secret = 'li-audit22-echoed-client-secret';

    describe('a sunset apiVersion (426 NONEXISTENT_VERSION, echoing both)', () => {
      const account = '5072201';
      let id: number;
      const sunset = (): FakeReply => ({
        status: 426,
        body: {
          status: 426,
          code: 'NONEXISTENT_VERSION',
          message: `Requested version 202401 is not active (Authorization: Bearer ${token}, client_secret=${secret})`,
        },
      });
      // says the version is sunset and which one to set, and nothing secret
      const says = (text: string | null | undefined) => {
        expect(text).toMatch(/202401/);
        expect(text).toMatch(/sunset|no longer serves/i);
        expect(text).toContain(`Set apiVersion to ${linkedInVersionFor(new Date())}`);
        expect(text).not.toContain(token);
        expect(text).not.toContain(secret);
      };

      beforeAll(async () => {
        ({ id } = await createIntegration(t, sub, 'linkedin-lead-gen', {
          organizationId: account,
          ownerType: 'sponsoredAccount',
          clientId: 'li-app-22a',
          clientSecret: secret,
          accessToken: token,
          apiVersion: '202401',
        }));
      });
      beforeEach(() => {
        for (const path of ['/rest/leadForms', '/rest/leadFormResponses', /^\/rest\/leadFormResponses\/.+$/])
          linkedin.on('GET', path, sunset);
      });

      it('the connection test and the integration', async () => {
        const test = await t.http.post(`/api/integrations/${id}/test`).set('authorization', admin);
        expect(test.body.success).toBe(false);
        says(test.body.message);
        says(await integrationError(id));
      });

      it('the sync run and the integration', async () => {
        await activate(t, sub, id);
        const run = await sync(id);
        expect(run.status).toBe('FAILED');
        says(run.error);
        says(await integrationError(id));
      });

      it('the event and the integration', async () => {
        await activate(t, sub, id);
        const res = await deliver(notification(account, 'urn:li:leadGenFormResponse:sunset-1'), secret);
        expect(res.body.status).toBe('received');
        const event = await settledEvent(t, res.body.eventId);
        expect(event.status).toBe('FAILED');
        says(event.last_error);
        // the event is marked FAILED first, then the integration
        says(await waitFor(() => integrationError(id), 10_000, 'integration error'));
      });
    });

    describe('LinkedIn answers that echo the client secret', () => {
      const account = '5072202';
      let id: number;
      const echo = (status: number): FakeReply => ({
        status,
        body: { status, message: `bad request for client ${secret} with token ${token}` },
      });

      beforeAll(async () => {
        ({ id } = await createIntegration(t, sub, 'linkedin-lead-gen', {
          organizationId: account,
          ownerType: 'sponsoredAccount',
          clientId: 'li-app-22b',
          clientSecret: secret,
          accessToken: token,
        }));
        await activate(t, sub, id);
      });

      it('a refused lead fetch (400): the event error', async () => {
        linkedin.on('GET', /^\/rest\/leadFormResponses\/.+$/, () => echo(400));
        const res = await deliver(notification(account, 'urn:li:leadGenFormResponse:echo-1'), secret);
        const event = await settledEvent(t, res.body.eventId);
        expect(event.status).toBe('FAILED');
        expect(event.last_error).toMatch(/400/);
        expect(event.last_error).not.toContain(secret);
        expect(event.last_error).not.toContain(token);
      });

      it('a failing page (500): the sync run error', async () => {
        linkedin.on('GET', '/rest/leadFormResponses', () => echo(500));
        const run = await sync(id);
        expect(run.status).toBe('FAILED');
        expect(run.error).toMatch(/500/);
        expect(run.error).not.toContain(secret);
        expect(run.error).not.toContain(token);
      });
    });
  });

  describe('apiVersion (YYYYMM, a version LinkedIn serves)', () => {
    const base = {
      organizationId: '5072203',
      clientId: 'li-app-22c',
      clientSecret: 'li-app-22c-secret',
      accessToken: 'li-22c',
    };

    it.each([['a month LinkedIn has not released yet', '299912']])(
      'refuses %s with CONFIG_SCHEMA_INVALID at /apiVersion',
      async (_name, apiVersion) => {
        const res = await t.http
          .post('/api/integrations')
          .set('authorization', admin)
          .send({
            subAccountId: sub,
            integrationTemplateId: await templateId(t, 'linkedin-lead-gen'),
            name: `version ${apiVersion}`,
            config: { ...base, apiVersion },
          });
        expect([res.status, res.body.code]).toEqual([400, 'CONFIG_SCHEMA_INVALID']);
        expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ pointer: '/apiVersion' })]));
      },
    );

    it('a version in LinkedIn’s range and the default are accepted; the default is one LinkedIn serves', async () => {
      installFakeLinkedIn(linkedin, {
        today: new Date(),
        token: base.accessToken,
        owners: { organization: [base.organizationId] },
      });
      const { id } = await createIntegration(t, sub, 'linkedin-lead-gen', base);
      const test = await t.http.post(`/api/integrations/${id}/test`).set('authorization', admin);
      expect([test.status, test.body.success]).toEqual([200, true]);
      const patched = await t.http
        .patch(`/api/integrations/${id}`)
        .set('authorization', admin)
        .send({ config: { apiVersion: linkedInVersionFor(new Date()) } });
      expect(patched.status).toBe(200);
    });
  });

  describe('ad spend names campaigns past the first page of adCampaigns', () => {
    it('follows metadata.nextPageToken: a campaign on page 2 keeps its name', async () => {
      const account = '5072204';
      installFakeLinkedIn(linkedin, { today: new Date(), token: 'li-22d', owners: { sponsoredAccount: [account] } });
      const { id } = await createIntegration(t, sub, 'linkedin-lead-gen', {
        organizationId: account,
        ownerType: 'sponsoredAccount',
        clientId: 'li-app-22d',
        clientSecret: 'li-app-22d-secret',
        accessToken: 'li-22d',
        adAccountId: account,
      });
      await activate(t, sub, id);
      linkedin.on('GET', `/rest/adAccounts/${account}`, () => ({
        status: 200,
        body: { id: 5072204, currency: 'USD' },
      }));
      linkedin.on('GET', `/rest/adAccounts/${account}/adCampaigns`, (req) =>
        req.query.get('pageToken') === 'page-2'
          ? { status: 200, body: { elements: [{ id: 920, name: 'Second page' }], metadata: {} } }
          : {
              status: 200,
              body: { elements: [{ id: 919, name: 'First page' }], metadata: { nextPageToken: 'page-2' } },
            },
      );
      const today = new Date();
      const start = { year: today.getUTCFullYear(), month: today.getUTCMonth() + 1, day: today.getUTCDate() };
      const row = (campaign: number) => ({
        dateRange: { start, end: start },
        pivotValues: [`urn:li:sponsoredCampaign:${campaign}`],
        costInLocalCurrency: '1.5',
        impressions: 10,
        clicks: 1,
        oneClickLeads: 0,
        externalWebsiteConversions: 0,
      });
      linkedin.on('GET', '/rest/adAnalytics', (req) => ({
        status: 200,
        body: { elements: req.query.get('q') === 'analytics' ? [row(919), row(920)] : [], paging: { start: 0 } },
      }));
      expect(await sync(id)).toEqual({ status: 'SUCCEEDED', error: null });
      const names = (
        await t.sql.query<{ campaign_id: string; campaign_name: string | null }>(
          'SELECT campaign_id, campaign_name FROM ad_costs WHERE integration_id = $1 ORDER BY campaign_id',
          [id],
        )
      ).rows;
      expect(names).toEqual([
        { campaign_id: '919', campaign_name: 'First page' },
        { campaign_id: '920', campaign_name: 'Second page' },
      ]);
    });
  });

  describe('organizationId written as a URN (as LinkedIn writes owners)', () => {
    it('is accepted, routes notifications naming its digits, and holds the routing key as digits', async () => {
      const secret = 'li-app-22u-secret';
      const { id } = await createIntegration(t, sub, 'linkedin-lead-gen', {
        organizationId: 'urn:li:sponsoredAccount:5072401',
        clientId: 'li-app-22u',
        clientSecret: secret,
        accessToken: 'li-22u',
      });
      await activate(t, sub, id);
      const res = await deliver(notification('5072401', 'urn:li:leadGenFormResponse:urn-1'), secret);
      expect([res.status, res.body.status]).toEqual([200, 'received']);
      const stored = await t.sql.query('SELECT 1 FROM webhook_events WHERE integration_id = $1', [id]);
      expect(stored.rowCount).toBe(1);
      // the same owner as digits in another sub-account is the same routing key
      const taken = await t.http
        .post('/api/integrations')
        .set('authorization', admin)
        .send({
          subAccountId: other,
          integrationTemplateId: await templateId(t, 'linkedin-lead-gen'),
          name: 'same owner as digits',
          config: { organizationId: '5072401', clientId: 'x', clientSecret: 'y', accessToken: 'z' },
        });
      expect([taken.status, taken.body.code]).toEqual([409, 'ROUTING_KEY_TAKEN']);
    });

    it('refuses a URN of another kind', async () => {
      const res = await t.http
        .post('/api/integrations')
        .set('authorization', admin)
        .send({
          subAccountId: sub,
          integrationTemplateId: await templateId(t, 'linkedin-lead-gen'),
          name: 'a person is no owner',
          config: { organizationId: 'urn:li:person:42', clientId: 'x', clientSecret: 'y', accessToken: 'z' },
        });
      expect([res.status, res.body.code]).toEqual([400, 'CONFIG_SCHEMA_INVALID']);
    });
  });

  describe('notification payloads a sender controls', () => {
    const account = '5072205';
    const secret = 'li-app-22e-secret';
    let id: number;

    beforeAll(async () => {
      ({ id } = await createIntegration(t, sub, 'linkedin-lead-gen', {
        organizationId: account,
        ownerType: 'sponsoredAccount',
        clientId: 'li-app-22e',
        clientSecret: secret,
        accessToken: 'li-22e',
      }));
      await activate(t, sub, id);
    });

    const events = async () =>
      (
        await t.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM webhook_events WHERE integration_id = $1', [
          id,
        ])
      ).rows[0].n;

    it.each([
      ['no leadAction', { leadAction: undefined }],
      ['an unknown leadAction', { leadAction: 'UPDATED' }],
      ['a response URN with no id', { leadGenFormResponse: 'urn:li:leadGenFormResponse:' }],
      ['a response that is not a string', { leadGenFormResponse: { id: 1 } }],
    ])('answers ignored, storing nothing, for %s', async (_name, extra) => {
      const before = await events();
      const res = await deliver(notification(account, 'urn:li:leadGenFormResponse:x-1', extra), secret);
      expect([res.status, res.body]).toEqual([200, { status: 'ignored', eventId: null }]);
      expect(await events()).toBe(before);
    });

    it('a redelivery of the same notification is a duplicate; its deletion is another event', async () => {
      const body = notification(account, `urn:li:leadGenFormResponse:dup-${randomUUID()}`);
      linkedin.on('GET', /^\/rest\/leadFormResponses\/.+$/, () => ({ status: 404, body: { status: 404 } }));
      const first = await deliver(body, secret);
      expect(first.body.status).toBe('received');
      const again = await deliver(body, secret);
      expect(again.body).toEqual({ status: 'duplicate', eventId: first.body.eventId });
      const deleted = await deliver(body.replace('"CREATED"', '"DELETED"'), secret);
      expect(deleted.body.status).toBe('received');
      expect(deleted.body.eventId).not.toBe(first.body.eventId);
    });

    it('an owner no integration holds, or no owner, is refused like a bad signature', async () => {
      for (const body of [
        notification('5079999', 'urn:li:leadGenFormResponse:other-1'),
        JSON.stringify({ ...JSON.parse(notification(account, 'urn:li:leadGenFormResponse:none-1')), owner: undefined }),
      ]) {
        const res = await deliver(body, secret);
        expect([res.status, res.body.code]).toEqual([401, 'WEBHOOK_SIGNATURE_INVALID']);
      }
    });
  });

  describe('webhook validation: parent/child apps (applicationId)', () => {
    const shared = { clientId: 'li-shared-app', clientSecret: 'li-shared-app-secret' };

    it('two tenants connected through one app are answered with that app’s secret; an unknown app is refused', async () => {
      for (const [subAccountId, organizationId] of [
        [sub, '5072206'],
        [other, '5072207'],
      ] as const) {
        const { id } = await createIntegration(t, subAccountId, 'linkedin-lead-gen', {
          organizationId,
          ownerType: 'organization',
          ...shared,
          accessToken: `li-${organizationId}`,
        });
        await activate(t, subAccountId, id);
      }
      const code = randomUUID();
      const res = await t.http.get(
        `/api/webhooks/linkedin-lead-gen?challengeCode=${code}&applicationId=${shared.clientId}`,
      );
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(res.text)).toEqual({
        challengeCode: code,
        challengeResponse: hmacHex(shared.clientSecret, code),
      });
      for (const query of [
        `challengeCode=${code}&applicationId=li-unknown-app`,
        `challengeCode=${code}&applicationId=`,
        `challengeCode=${code}&applicationId=${shared.clientId}&applicationId=${shared.clientId}`,
        `challengeCode=${code.toUpperCase()}x&applicationId=${shared.clientId}`,
      ]) {
        const refused = await t.http.get(`/api/webhooks/linkedin-lead-gen?${query}`);
        expect(refused.status).toBe(403);
        expect(refused.text).not.toContain(hmacHex(shared.clientSecret, code));
      }
    });
  });
});

describe("API.md contract audit 22: LinkedIn's app-level validation cannot be vetoed by another tenant", () => {
  // A tenant can type any app's public id (clientId) beside a secret of its choosing. Receiving, its
  // integration answered a different challengeResponse for that app, and the provider-level URL refused
  // every validation of the app (403): LinkedIn re-validates every 2 hours and blocks the URL after
  // three failures. For the hub's own OAuth app (LINKEDIN_CLIENT_ID/SECRET, never a tenant's to type)
  // this took the validation of every OAuth-connected tenant down; it now answers as the hub's app.
  const HUB = { clientId: 'li-hub-oauth-app', clientSecret: 'li-hub-oauth-app-secret' };
  let t: TestApp;
  let victim: number;
  let squatter: number;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        LINKEDIN_CLIENT_ID: HUB.clientId,
        LINKEDIN_CLIENT_SECRET: HUB.clientSecret,
        WEBHOOK_CACHE_TTL_MS: '0',
      },
    });
    victim = await createSubAccount(t, 'MAX', 'LinkedIn hub app tenant');
    squatter = await createSubAccount(t, 'MAX', 'LinkedIn squatter');
  });
  afterAll(async () => {
    await t?.close();
  });

  async function connected(subAccountId: number, organizationId: string, app: typeof HUB): Promise<string> {
    const { id, webhookUrl } = await createIntegration(t, subAccountId, 'linkedin-lead-gen', {
      organizationId,
      ownerType: 'organization',
      ...app,
      accessToken: `li-${organizationId}`,
    });
    await activate(t, subAccountId, id);
    return new URL(webhookUrl).pathname;
  }

  it("answers the hub's app with its secret although a squatter typed its clientId with another secret", async () => {
    await connected(victim, '5072301', HUB);
    await connected(squatter, '5072302', { clientId: HUB.clientId, clientSecret: 'squatter-typed-secret' });
    const code = randomUUID();
    for (const query of [`challengeCode=${code}&applicationId=${HUB.clientId}`, `challengeCode=${code}`]) {
      const res = await t.http.get(`/api/webhooks/linkedin-lead-gen?${query}`);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text)).toEqual({ challengeCode: code, challengeResponse: hmacHex(HUB.clientSecret, code) });
    }
  });

  it("still refuses two tenants' own apps that disagree, at the app level only", async () => {
    const own = { clientId: 'li-tenant-own-app', clientSecret: 'li-tenant-own-app-secret' };
    const path = await connected(victim, '5072303', own);
    await connected(squatter, '5072304', { clientId: own.clientId, clientSecret: 'another-typed-secret' });
    const code = randomUUID();
    const appLevel = await t.http.get(
      `/api/webhooks/linkedin-lead-gen?challengeCode=${code}&applicationId=${own.clientId}`,
    );
    expect(appLevel.status).toBe(403);
    expect(appLevel.text).not.toContain(hmacHex(own.clientSecret, code));
    // the integration's own URL has one candidate: the setup instructions point tenants' own apps there
    const integrationLevel = await t.http.get(`${path}?challengeCode=${code}&applicationId=${own.clientId}`);
    expect(integrationLevel.status).toBe(200);
    expect(JSON.parse(integrationLevel.text).challengeResponse).toBe(hmacHex(own.clientSecret, code));
  });
});
