/**
 * Findings of a second fuzz of what provider APIs answer (the Graph lead and sync pages, LinkedIn's
 * sync pages, the WhatsApp template list, Facebook Ads insights and the GoHighLevel API; see
 * /work/notes/fuzz3.md). Each case once failed an event for good on a transient fault, ended a sync
 * "nothing new" without reading anything, failed a run on a database error, stored nonsense, left a
 * refused token unreported, or answered 500 from our API.
 *
 * This part holds the Meta lead fetch, the WhatsApp template reconcile and the sync pages; Facebook Ads
 * insights and the GoHighLevel passthrough are in fuzz-provider-answers-2-ads-ghl.e2e-spec.ts, the shared
 * setup in test/support/fuzz-provider-answers-2-setup.ts.
 */
import { WhatsAppTemplatesService } from '../../src/modules/whatsapp/whatsapp-templates.service';
import { WHATSAPP_CONFIG } from '../support/factories';
import { FakeReply, FakeServer } from '../support/fake-server';
import { metaSig } from '../support/hostile-corpus';
import { TestApp } from '../support/test-app';
import { settledEvent } from '../support/webhooks';
import { EMPTY, FORM_ID, Fuzz3, HTML, META, NOT_PAGES, setupFuzz3 } from '../support/fuzz-provider-answers-2-setup';

describe('fuzzed provider answers, second round', () => {
  let t: TestApp;
  let graph: FakeServer;
  let linkedin: FakeServer;
  let ghl: FakeServer;
  let ids: Fuzz3['ids'];
  let serial = 0;
  let fx: Fuzz3;

  beforeAll(async () => {
    fx = await setupFuzz3();
    ({ t, graph, linkedin, ghl, ids } = fx);
  });
  afterAll(async () => fx?.close());
  afterEach(async () => fx.reactivate());

  const unhandled = () => fx.unhandled();
  const integration = (id: number) => fx.integration(id);
  const sync = (id: number) => fx.sync(id);

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
});
