// A second black-box audit of API.md, on its flows (webhooks, integrations, leads, WhatsApp, OAuth,
// reports): each case a request sequence and the answer API.md promises. Every case here failed
// before its fix, except those named as guards (what the fix must keep working).
import { createHmac } from 'node:crypto';
import { createIntegration, createSubAccount, META_CONFIG, WHATSAPP_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { auth } from '../support/security';
import { WhatsAppWebhooks } from '../support/fakes/whatsapp-webhooks';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, metaLeadgen, metaSignature } from '../support/webhooks';

describe('API.md contract audit 2: flows', () => {
  let t: TestApp;
  let graph: FakeServer;

  beforeAll(async () => {
    graph = await FakeServer.start();
    t = await createTestApp({ env: { META_GRAPH_URL: graph.url } });
  });
  afterAll(async () => {
    await t.close();
    await graph.close();
  });

  const storedFor = async (integrationId: number): Promise<string[]> =>
    (
      await t.sql.query<{ external_id: string | null; event_type: string }>(
        'SELECT external_id, event_type FROM webhook_events WHERE integration_id = $1 ORDER BY id',
        [integrationId],
      )
    ).rows.map((r) => `${r.event_type}:${r.external_id ?? ''}`);

  describe('Webhooks: "routed to its integration by the routing key in the payload"; a routing key "belongs to one sub-account"', () => {
    // one Meta app (one app secret) serving two tenants' numbers, as a hub-wide app does
    const numberB = { wabaId: '300000000000001', phoneNumberId: '200000000000001' };
    let subA: number;
    let subB: number;
    let waA: { id: number; path: string };
    let waB: { id: number };

    beforeAll(async () => {
      subA = await createSubAccount(t, 'MAX', 'Tenant A');
      subB = await createSubAccount(t, 'MAX', 'Tenant B');
      const a = await createIntegration(t, subA, 'whatsapp-cloud', WHATSAPP_CONFIG);
      await activate(t, subA, a.id);
      const b = await createIntegration(t, subB, 'whatsapp-cloud', { ...WHATSAPP_CONFIG, ...numberB });
      await activate(t, subB, b.id);
      waA = { id: a.id, path: new URL(a.webhookUrl).pathname };
      waB = { id: b.id };
    });

    it("stores nothing for an integration from a delivery about another sub-account's number sent to its own URL (200 ignored)", async () => {
      const hooksB = new WhatsAppWebhooks(WHATSAPP_CONFIG.appSecret, numberB);
      const wamid = 'wamid.audit2-tenant-b-0001';
      const d = hooksB.inboundText({ from: '5511911112222', name: 'Zed', text: 'for tenant B only', id: wamid });
      const atA = await t.http.post(waA.path).set(d.headers).send(d.rawBody);
      expect([atA.status, atA.body]).toEqual([200, { status: 'ignored', eventId: null }]);
      expect(await storedFor(waA.id)).toEqual([]);
      // the provider-level URL routes the same bytes to the number's owner
      const routed = await t.http.post('/api/webhooks/whatsapp-cloud').set(d.headers).send(d.rawBody);
      expect([routed.status, routed.body.status]).toEqual([200, 'received']);
      expect(await storedFor(waB.id)).toEqual([`message:${wamid}`]);
    });

    it("guard: still takes its own number's messages and its own WABA's template updates at its own URL", async () => {
      const hooksA = new WhatsAppWebhooks(WHATSAPP_CONFIG.appSecret, {
        wabaId: WHATSAPP_CONFIG.wabaId,
        phoneNumberId: WHATSAPP_CONFIG.phoneNumberId,
      });
      const own = hooksA.inboundText({ from: '5511933334444', text: 'hello A', id: 'wamid.audit2-tenant-a-0001' });
      const ownRes = await t.http.post(waA.path).set(own.headers).send(own.rawBody);
      expect([ownRes.status, ownRes.body.status]).toEqual([200, 'received']);
      const update = hooksA.templateStatus({
        event: 'APPROVED',
        templateId: '1234567890',
        name: 'audit_two',
        language: 'en_US',
      });
      const updateRes = await t.http.post(waA.path).set(update.headers).send(update.rawBody);
      expect([updateRes.status, updateRes.body.status]).toEqual([200, 'received']);
      const events = await t.sql.query<{ event_type: string; external_id: string | null }>(
        'SELECT event_type, external_id FROM webhook_events WHERE id = ANY($1::bigint[]) AND integration_id = $2 ORDER BY id',
        [[ownRes.body.eventId, updateRes.body.eventId], waA.id],
      );
      expect(events.rows.map((r) => r.event_type)).toEqual(['message', expect.stringMatching(/template/)]);
      expect(events.rows[0].external_id).toBe('wamid.audit2-tenant-a-0001');
    });

    it("keeps only its own page's changes from a Meta leadgen delivery at its own URL", async () => {
      const m = await createIntegration(t, subA, 'meta-lead-ads', META_CONFIG);
      await activate(t, subA, m.id);
      const other = await createIntegration(t, subB, 'meta-lead-ads', { ...META_CONFIG, pageId: '777000777' });
      await activate(t, subB, other.id);
      const path = new URL(m.webhookUrl).pathname;
      const send = (body: string) =>
        t.http
          .post(path)
          .set('content-type', 'application/json')
          .set('x-hub-signature-256', metaSignature(body, META_CONFIG.appSecret))
          .send(body);
      const foreign = await send(metaLeadgen('777000777', ['audit2-foreign']));
      expect([foreign.status, foreign.body]).toEqual([200, { status: 'ignored', eventId: null }]);
      const mixed = JSON.stringify({
        object: 'page',
        entry: [
          JSON.parse(metaLeadgen(META_CONFIG.pageId, ['audit2-own'])).entry[0],
          JSON.parse(metaLeadgen('777000777', ['audit2-foreign-2'])).entry[0],
        ],
      });
      const res = await send(mixed);
      expect([res.status, res.body.status]).toEqual([200, 'received']);
      expect(res.body.eventIds).toBeUndefined();
      expect(await storedFor(m.id)).toEqual(['leadgen:audit2-own']);
      expect(await storedFor(other.id)).toEqual([]);
      // guard: a page no other integration holds is not another tenant's: stored as before
      const unheld = await send(metaLeadgen('888000888', ['audit2-unheld']));
      expect([unheld.status, unheld.body.status]).toEqual([200, 'received']);
      expect(await storedFor(m.id)).toEqual(['leadgen:audit2-own', 'leadgen:audit2-unheld']);
    });

    it("routes its own sub-account's other pages to their integrations (one callback URL per Meta app); the other tenant's page is left out", async () => {
      const config = (pageId: string) => ({ ...META_CONFIG, pageId, pageAccessToken: `token-${pageId}` });
      const m = await createIntegration(t, subA, 'meta-lead-ads', config('610000001'));
      await activate(t, subA, m.id);
      const sibling = await createIntegration(t, subA, 'meta-lead-ads', config('610000002'));
      await activate(t, subA, sibling.id);
      const foreign = await createIntegration(t, subB, 'meta-lead-ads', config('620000003'));
      await activate(t, subB, foreign.id);
      const send = (body: string) =>
        t.http
          .post(new URL(m.webhookUrl).pathname)
          .set('content-type', 'application/json')
          .set('x-hub-signature-256', metaSignature(body, META_CONFIG.appSecret))
          .send(body);
      const res = await send(
        JSON.stringify({
          object: 'page',
          entry: [
            JSON.parse(metaLeadgen('610000001', ['audit2-page-own'])).entry[0],
            JSON.parse(metaLeadgen('610000002', ['audit2-page-sibling'])).entry[0],
            JSON.parse(metaLeadgen('620000003', ['audit2-page-foreign'])).entry[0],
            JSON.parse(metaLeadgen('630000004', ['audit2-page-unheld'])).entry[0],
          ],
        }),
      );
      expect([res.status, res.body.status, res.body.eventIds]).toEqual([200, 'received', expect.any(Array)]);
      expect(res.body.eventIds).toHaveLength(3);
      expect((await storedFor(m.id)).sort()).toEqual(['leadgen:audit2-page-own', 'leadgen:audit2-page-unheld']);
      // the sibling's token can fetch its page's leads; the first integration's could not
      expect(await storedFor(sibling.id)).toEqual(['leadgen:audit2-page-sibling']);
      expect(await storedFor(foreign.id)).toEqual([]);
      // the sibling's page alone at the first integration's URL goes to the sibling too
      const alone = await send(metaLeadgen('610000002', ['audit2-page-sibling-2']));
      expect([alone.status, alone.body.status]).toEqual([200, 'received']);
      expect(await storedFor(sibling.id)).toEqual(['leadgen:audit2-page-sibling', 'leadgen:audit2-page-sibling-2']);
      // a sibling that is switched off does not receive: its page's changes stay where they were sent
      const off = await t.http
        .patch(`/api/integrations/${sibling.id}`)
        .set('authorization', auth(t, 'ADMIN', [subA]))
        .send({ isActive: false });
      expect(off.status).toBe(200);
      const kept = await send(metaLeadgen('610000002', ['audit2-page-sibling-3']));
      expect([kept.status, kept.body.status]).toEqual([200, 'received']);
      expect(await storedFor(m.id)).toContain('leadgen:audit2-page-sibling-3');
    });

    it("keeps a LinkedIn lead notification about another sub-account's organization out of its own URL", async () => {
      // one LinkedIn app (one client secret) serving both tenants, as a hub-wide Lead Sync app does
      const config = (organizationId: string, token: string) => ({
        organizationId,
        clientId: 'hub-linkedin-app',
        clientSecret: 'hub-linkedin-client-secret',
        accessToken: token,
      });
      const a = await createIntegration(t, subA, 'linkedin-lead-gen', config('4100001', 'li-token-a'));
      await activate(t, subA, a.id);
      const b = await createIntegration(t, subB, 'linkedin-lead-gen', config('4200002', 'li-token-b'));
      await activate(t, subB, b.id);
      const notification = (owner: object, response: string): string =>
        JSON.stringify({
          type: 'LEAD_ACTION',
          leadGenFormResponse: `urn:li:leadGenFormResponse:${response}`,
          leadGenForm: 'urn:li:versionedLeadGenForm:(urn:li:leadGenForm:42,1)',
          owner,
          leadType: 'SPONSORED',
          leadAction: 'CREATED',
          occurredAt: Date.now(),
        });
      const send = (path: string, body: string) =>
        t.http
          .post(path)
          .set('content-type', 'application/json')
          .set(
            'x-li-signature',
            createHmac('sha256', 'hub-linkedin-client-secret').update(`hmacsha256=${body}`).digest('hex'),
          )
          .send(body);
      const pathA = new URL(a.webhookUrl).pathname;
      const foreign = notification({ organization: 'urn:li:organization:4200002' }, 'audit2-li-foreign');
      const atA = await send(pathA, foreign);
      expect([atA.status, atA.body]).toEqual([200, { status: 'ignored', eventId: null }]);
      expect(await storedFor(a.id)).toEqual([]);
      // the app-level URL routes the same bytes to the organization's owner
      const routed = await send('/api/webhooks/linkedin-lead-gen', foreign);
      expect([routed.status, routed.body.status]).toEqual([200, 'received']);
      expect(await storedFor(b.id)).toEqual(['lead.created:urn:li:leadGenFormResponse:audit2-li-foreign:CREATED']);
      // guard: its own organization's leads, and an ad account nobody holds (its sponsored campaigns), are kept
      const own = await send(pathA, notification({ organization: 'urn:li:organization:4100001' }, 'audit2-li-own'));
      expect([own.status, own.body.status]).toEqual([200, 'received']);
      const unheld = await send(
        pathA,
        notification({ sponsoredAccount: 'urn:li:sponsoredAccount:5300003' }, 'audit2-li-ad'),
      );
      expect([unheld.status, unheld.body.status]).toEqual([200, 'received']);
      expect(await storedFor(a.id)).toEqual([
        'lead.created:urn:li:leadGenFormResponse:audit2-li-own:CREATED',
        'lead.created:urn:li:leadGenFormResponse:audit2-li-ad:CREATED',
      ]);
    });
  });
});
