/**
 * Findings of a fuzz of what provider APIs answer while an event is processed (the Graph lead a
 * leadgen webhook names, the LinkedIn lead form response, WhatsApp template webhooks and the template
 * sync's Graph pages; see /work/notes/fuzz2.md). Each case once left its event FAILED by an
 * unexpected database error, stored nonsense on the lead, or left a token error unreported.
 */
import { createHmac } from 'node:crypto';
import { WhatsAppTemplatesService } from '../../src/modules/whatsapp/whatsapp-templates.service';
import { createIntegration, createSubAccount, WHATSAPP_CONFIG } from '../support/factories';
import { FakeReply, FakeServer } from '../support/fake-server';
import { metaSig } from '../support/hostile-corpus';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, genericSignature, settledEvent } from '../support/webhooks';

const META = {
  pageId: '153125381133',
  appSecret: 'fuzz2-meta-secret',
  pageAccessToken: 'EAAG-fuzz2-meta',
  verifyToken: 'v3',
};
const LINKEDIN = {
  organizationId: '1234567',
  clientId: 'li-app',
  clientSecret: 'fuzz2-li-secret',
  accessToken: 'AQV-fuzz2',
};
const FORM_ID = '777';
const MB = 'x'.repeat(1_000_000);

describe('fuzzed provider answers', () => {
  let t: TestApp;
  let graph: FakeServer;
  let linkedin: FakeServer;
  let sub: number;
  let metaId: number;
  let whatsappId: number;
  let linkedinPath: string;
  let generic: { path: string; secret: string };
  let serial = 0;

  beforeAll(async () => {
    graph = await FakeServer.start();
    linkedin = await FakeServer.start();
    t = await createTestApp({
      env: {
        META_GRAPH_URL: graph.url,
        LINKEDIN_API_URL: linkedin.url,
        WEBHOOK_CACHE_TTL_MS: '0',
        WEBHOOK_MAX_ATTEMPTS: '1',
      },
    });
    sub = await createSubAccount(t, 'MAX');
    const meta = await createIntegration(t, sub, 'meta-lead-ads', META);
    const li = await createIntegration(t, sub, 'linkedin-lead-gen', LINKEDIN);
    const whatsapp = await createIntegration(t, sub, 'whatsapp-cloud', WHATSAPP_CONFIG);
    const gen = await createIntegration(t, sub, 'generic-webhook', {
      mapping: { email: '/email', company: '/company', tags: '/tags' },
      externalIdPointer: '/id',
      customAnswersPointer: '/answers',
    });
    for (const i of [meta, li, whatsapp, gen]) await activate(t, sub, i.id);
    generic = { path: new URL(gen.webhookUrl).pathname, secret: gen.webhookSecret };
    whatsappId = whatsapp.id;
    metaId = meta.id;
    linkedinPath = new URL(li.webhookUrl).pathname;
    graph.on('GET', `/${FORM_ID}`, () => ({ status: 200, body: { id: FORM_ID, questions: [] } }));
    linkedin.on('GET', /^\/rest\/leadForms\//, () => ({ status: 404, body: { status: 404, message: 'Not found' } }));
  });
  afterAll(async () => {
    await t?.close();
    await graph?.close();
    await linkedin?.close();
  });

  /** Status and error of an event once processed (attempts left out: the cases compare the two). */
  const settled = async (eventId: string) => {
    const { status, last_error } = await settledEvent(t, eventId);
    return { status, last_error };
  };

  /** The lead and source row an event stored. */
  const stored = async (eventId: string) =>
    (
      await t.sql.query<Record<string, unknown>>(
        `SELECT l.full_name, l.email, l.company, l.job_title, l.custom_answers, s.external_id, s.ad_id, s.campaign_name, s.details
         FROM lead_sources s JOIN leads l ON l.id = s.lead_id WHERE s.origin = $1`,
        [`event:${eventId}`],
      )
    ).rows;

  /** A leadgen webhook whose lead the fake Graph answers with `reply`; the event's outcome. */
  const metaLead = async (reply: (id: string) => FakeReply) => {
    const id = `8${String(++serial).padStart(5, '0')}`;
    graph.on('GET', `/${id}`, () => reply(id));
    const body = JSON.stringify({
      object: 'page',
      entry: [
        {
          id: META.pageId,
          time: 1438292065,
          changes: [
            {
              field: 'leadgen',
              value: { leadgen_id: id, page_id: META.pageId, form_id: FORM_ID, created_time: 1440120384 },
            },
          ],
        },
      ],
    });
    const res = await t.http
      .post('/api/webhooks/meta-lead-ads')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSig(body, META.appSecret))
      .send(body);
    expect([res.status, res.body.status]).toEqual([200, 'received']);
    const eventId = res.body.eventId as string;
    return { id, eventId, event: await settled(eventId), leads: await stored(eventId) };
  };
  const graphLead = (id: string, fieldData: unknown[], extra: Record<string, unknown> = {}) => ({
    id,
    created_time: '2026-11-30T10:00:00+0000',
    form_id: FORM_ID,
    ad_id: '55',
    field_data: fieldData,
    ...extra,
  });

  /** A LinkedIn lead notification whose form response the fake API answers with `reply`. */
  const linkedinLead = async (reply: (id: string) => FakeReply) => {
    const id = `r-${++serial}`;
    linkedin.on('GET', `/rest/leadFormResponses/${id}`, () => reply(id));
    const body = JSON.stringify({
      type: 'LEAD_ACTION',
      leadGenFormResponse: `urn:li:leadGenFormResponse:${id}`,
      leadGenForm: 'urn:li:versionedLeadGenForm:(urn:li:leadGenForm:7234246,1)',
      owner: { sponsoredAccount: `urn:li:sponsoredAccount:${LINKEDIN.organizationId}` },
      leadType: 'SPONSORED',
      leadAction: 'CREATED',
      occurredAt: Date.now(),
    });
    const signature = createHmac('sha256', LINKEDIN.clientSecret).update(`hmacsha256=${body}`).digest('hex');
    const res = await t.http
      .post(linkedinPath)
      .set('content-type', 'application/json')
      .set('x-li-signature', signature)
      .send(body);
    expect([res.status, res.body.status]).toEqual([200, 'received']);
    const eventId = res.body.eventId as string;
    return { id, eventId, event: await settled(eventId), leads: await stored(eventId) };
  };
  const textAnswer = (questionId: number, answer: string) => ({
    questionId,
    answerDetails: { textQuestionAnswer: { answer } },
  });

  describe('a provider text PostgreSQL cannot store (NUL, an unpaired surrogate) is cleaned, the lead stored', () => {
    it.each([
      ['a NUL in the name', '"Ann\\u0000Smith"', 'AnnSmith'],
      ['an unpaired high surrogate in the name', '"Ann\\ud800Smith"', 'Ann\ufffdSmith'],
      ['an unpaired low surrogate in the name', '"Ann\\udc00Smith"', 'Ann\ufffdSmith'],
    ])('meta lead ads: %s', async (_name, escaped, expected) => {
      const { event, leads } = await metaLead((id) => ({
        status: 200,
        raw: JSON.stringify(
          graphLead(id, [
            { name: 'full_name', values: ['@NAME@'] },
            { name: 'email', values: ['ann@example.com'] },
            { name: 'why\\u0000', values: ['because\\ud800'] },
          ]),
        ).replace('"@NAME@"', escaped),
      }));
      expect(event).toEqual({ status: 'PROCESSED', last_error: null });
      expect(leads).toHaveLength(1);
      expect(leads[0]).toMatchObject({ full_name: expected, email: 'ann@example.com' });
    });

    it('meta lead ads: NUL and surrogates in the answer keys, values and attribution', async () => {
      const { event, leads } = await metaLead((id) => ({
        status: 200,
        raw: JSON.stringify(
          graphLead(
            id,
            [
              { name: 'email', values: ['keys@example.com'] },
              { name: 'a\u0000b', values: ['c\u0000d'] },
              { name: 'w\udc00', values: ['x\ud800'] },
            ],
            { ad_name: 'ad\u0000', campaign_name: 'camp\ud800aign', platform: 'f\u0000b' },
          ),
        ),
      }));
      expect(event).toEqual({ status: 'PROCESSED', last_error: null });
      expect(leads[0]).toMatchObject({
        email: 'keys@example.com',
        custom_answers: { ab: 'cd', 'w\ufffd': 'x\ufffd' },
        campaign_name: 'camp\ufffdaign',
        details: { platform: 'fb' },
      });
    });

    it('linkedin: a NUL in an answer and an unpaired surrogate in a hidden field', async () => {
      const { event, leads } = await linkedinLead((id) => ({
        status: 200,
        raw: JSON.stringify({
          id,
          submittedAt: 1689894599288,
          formResponse: {
            answers: [textAnswer(1, 'Ke\u0000vin'), textAnswer(2, 'x\ud800')],
            hiddenFields: [{ name: 'utm\u0000source', value: 'news\udc00letter' }],
          },
        }),
      }));
      expect(event).toEqual({ status: 'PROCESSED', last_error: null });
      expect(leads[0]).toMatchObject({
        custom_answers: { 'question 1': 'Kevin', 'question 2': 'x\ufffd' },
        details: { utmsource: 'news\ufffdletter' },
      });
    });
  });

  describe('a huge provider text is cut to LEAD_TEXT_LIMITS, the rest of the lead stored', () => {
    it('meta lead ads: a 1 MB company, answer and ad id; ten thousand answers', async () => {
      const many = Array.from({ length: 10_000 }, (_, i) => ({ name: `q${i}`, values: ['v'] }));
      const { event, leads } = await metaLead((id) => ({
        status: 200,
        body: graphLead(
          id,
          [
            { name: 'email', values: ['big@example.com'] },
            { name: 'company_name', values: [MB] },
            { name: 'why', values: [MB] },
            ...many,
          ],
          { ad_id: MB },
        ),
      }));
      expect(event).toEqual({ status: 'PROCESSED', last_error: null });
      const [lead] = leads as Array<{ company: string; custom_answers: Record<string, string>; ad_id: string }>;
      expect(lead.company).toHaveLength(500);
      expect(lead.ad_id).toHaveLength(500);
      expect(lead.custom_answers.why).toHaveLength(5_000);
      expect(Object.keys(lead.custom_answers)).toHaveLength(200);
    });

    it('generic webhook: a mapped 300 kB company and id, five thousand answers, a thousand tags', async () => {
      const body = JSON.stringify({
        id: 'I'.repeat(300_000),
        email: 'generic@example.com',
        company: 'C'.repeat(300_000),
        answers: Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, i])),
        tags: Array.from({ length: 1_000 }, (_, i) => `t${i}`),
      });
      const ts = Math.floor(Date.now() / 1000);
      const res = await t.http
        .post(generic.path)
        .set('content-type', 'application/json')
        .set('x-webhook-timestamp', String(ts))
        .set('x-webhook-signature', genericSignature(body, generic.secret, ts))
        .send(body);
      expect(res.body.status).toBe('received');
      const eventId = res.body.eventId as string;
      expect(await settled(eventId)).toEqual({ status: 'PROCESSED', last_error: null });
      const rows = await t.sql.query<{ company: string; external_id: string; answers: number; tags: number }>(
        `SELECT l.company, s.external_id, (SELECT count(*)::int FROM jsonb_object_keys(l.custom_answers)) AS answers,
                cardinality(l.tags) AS tags
         FROM lead_sources s JOIN leads l ON l.id = s.lead_id WHERE s.origin = $1`,
        [`event:${eventId}`],
      );
      expect(rows.rows.map((r) => [r.company.length, r.external_id.length, r.answers, r.tags])).toEqual([
        [500, 500, 200, 100],
      ]);
    });

    it('linkedin: a 1 MB job title and consent id', async () => {
      const { event, leads } = await linkedinLead((id) => ({
        status: 200,
        body: {
          id,
          formResponse: {
            answers: [textAnswer(1, MB)],
            consentResponses: [{ consentId: MB, accepted: true }],
          },
        },
      }));
      expect(event).toEqual({ status: 'PROCESSED', last_error: null });
      const [lead] = leads as Array<{ custom_answers: Record<string, string>; details: { consents: unknown[] } }>;
      expect(lead.custom_answers['question 1']).toHaveLength(5_000);
      expect(lead.details.consents).toEqual([{ key: 'x'.repeat(500), accepted: true }]);
    });
  });
  describe('meta lead ads: a Graph refusal of the token or of a permission is reported on the integration', () => {
    afterEach(() => activate(t, sub, metaId));

    it.each([
      [
        'an expired token (400, code 190)',
        400,
        190,
        'Error validating access token: Session has expired',
        /^Meta refused the page access token reading lead \d+ \(Error validating access token: Session has expired\); reconnect the page$/,
      ],
      [
        'an invalid token (401, code 190)',
        401,
        190,
        'Invalid OAuth access token.',
        /^Meta refused the page access token/,
      ],
      [
        'a missing permission (403, code 10)',
        403,
        10,
        'Requires leads_retrieval permission',
        /^Meta refused lead \d+ for a missing permission/,
      ],
    ])(
      '%s: the event FAILED, the integration in error with the same reason',
      async (_name, status, code, message, reason) => {
        const { event, leads } = await metaLead(() => ({
          status,
          body: { error: { message, type: 'OAuthException', code } },
        }));
        expect(event.status).toBe('FAILED');
        expect(event.last_error).toMatch(reason);
        expect(leads).toEqual([]);
        const integration = await t.sql.query('SELECT status, error_message FROM integrations WHERE id = $1', [metaId]);
        expect(integration.rows[0]).toEqual({ status: 'error', error_message: event.last_error });
      },
    );

    it('a lead Graph does not have (code 100) fails its event only', async () => {
      const { event } = await metaLead(() => ({
        status: 400,
        body: { error: { message: 'Unsupported get request', type: 'GraphMethodException', code: 100 } },
      }));
      expect(event).toEqual({
        status: 'FAILED',
        last_error: expect.stringMatching(/^Graph API refused lead \d+: Unsupported get request$/),
      });
      const integration = await t.sql.query('SELECT status FROM integrations WHERE id = $1', [metaId]);
      expect(integration.rows[0]).toEqual({ status: 'active' });
    });
  });
  describe('whatsapp templates: odd rows and stamps from Meta', () => {
    const WABA = WHATSAPP_CONFIG.wabaId;
    const good = {
      id: '5001',
      name: 'order_ready',
      language: 'en_US',
      status: 'APPROVED',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Your order is ready' }],
    };
    const reconcile = (rows: unknown[]) => {
      graph.on('GET', `/${WABA}/message_templates`, () => ({ status: 200, body: { data: rows } }));
      return t.app.get(WhatsAppTemplatesService).reconcile(BigInt(whatsappId));
    };
    const template = async (externalId: string) =>
      (
        await t.sql.query<{ status: string; status_changed_at: Date | null }>(
          'SELECT status, status_changed_at FROM whatsapp_templates WHERE integration_id = $1 AND external_id = $2',
          [whatsappId, externalId],
        )
      ).rows[0];

    it('a garbled row (NUL, an unpaired surrogate, a 1 MB status) is skipped; the rest of the page is reconciled', async () => {
      const result = await reconcile([
        { ...good, id: '5002', name: 'nul\u0000name' },
        { ...good, id: '5003', name: 'surrogate', components: [{ type: 'BODY', text: 'Hi \ud800' }] },
        { ...good, id: '5004', name: 'huge_status', status: 'X'.repeat(1_000_000) },
        good,
      ]);
      expect(result).toEqual({ seen: 1, deleted: 0 });
      expect(await template('5001')).toMatchObject({ status: 'APPROVED' });
    });

    it.each<[string, FakeReply]>([
      [
        'an HTML page sent with 200',
        { status: 200, raw: '<html>Sorry</html>', headers: { 'content-type': 'text/html' } },
      ],
      ['an empty body', { status: 200, raw: '' }],
      ['data that is not a list', { status: 200, body: { data: { id: '5001' } } }],
    ])('a page that is %s fails the reconcile instead of marking every template DELETED', async (_name, reply) => {
      await reconcile([good]);
      graph.on('GET', `/${WABA}/message_templates`, () => reply);
      await expect(t.app.get(WhatsAppTemplatesService).reconcile(BigInt(whatsappId))).rejects.toThrow(
        'Meta answered the message_templates page without a data list',
      );
      expect((await template('5001')).status).toBe('APPROVED');
    });

    it('a next cursor Meta already gave is not followed again (it was, up to 1000 calls)', async () => {
      const path = `/${WABA}/message_templates`;
      const before = graph.count('GET', path);
      graph.on('GET', path, () => ({
        status: 200,
        body: { data: [good], paging: { cursors: { after: 'QVFI' }, next: `${graph.url}${path}?after=QVFI` } },
      }));
      await t.app.get(WhatsAppTemplatesService).reconcile(BigInt(whatsappId));
      expect(graph.count('GET', path) - before).toBe(2);
    });

    const statusUpdate = async (time: string, event: string) => {
      const body = `{"object":"whatsapp_business_account","entry":[{"id":"${WABA}","time":${time},"changes":[{"field":"message_template_status_update","value":{"event":"${event}","message_template_id":5001,"message_template_name":"order_ready","message_template_language":"en_US","reason":"NONE"}}]}]}`;
      const res = await t.http
        .post('/api/webhooks/whatsapp-cloud')
        .set('content-type', 'application/json')
        .set('x-hub-signature-256', metaSig(body, WHATSAPP_CONFIG.appSecret))
        .send(body);
      expect([res.status, res.body.status]).toEqual([200, 'received']);
      return settled(res.body.eventId as string);
    };

    it.each(['1e20', '-1000000000000000'])(
      'a status update stamped %s is applied as of now, not failed',
      async (time) => {
        await reconcile([good]);
        const before = Date.now();
        expect(await statusUpdate(time, 'PAUSED')).toEqual({ status: 'PROCESSED', last_error: null });
        const row = await template('5001');
        expect(row.status).toBe('PAUSED');
        expect(row.status_changed_at?.getTime()).toBeGreaterThanOrEqual(before - 1000);
      },
    );

    it('a status, quality or category update naming a 150-character value is not applied', async () => {
      await reconcile([good]);
      const huge = 'X'.repeat(150);
      expect(await statusUpdate(String(Math.floor(Date.now() / 1000)), huge)).toEqual({
        status: 'PROCESSED',
        last_error: null,
      });
      for (const [field, key] of [
        ['message_template_quality_update', 'new_quality_score'],
        ['template_category_update', 'new_category'],
      ]) {
        const body = `{"object":"whatsapp_business_account","entry":[{"id":"${WABA}","time":${Math.floor(Date.now() / 1000)},"changes":[{"field":"${field}","value":{"message_template_id":5001,"message_template_name":"order_ready","message_template_language":"en_US","${key}":"${huge}"}}]}]}`;
        const res = await t.http
          .post('/api/webhooks/whatsapp-cloud')
          .set('content-type', 'application/json')
          .set('x-hub-signature-256', metaSig(body, WHATSAPP_CONFIG.appSecret))
          .send(body);
        expect(await settled(res.body.eventId as string)).toEqual({ status: 'PROCESSED', last_error: null });
      }
      const row = await t.sql.query(
        'SELECT status, category, quality_score FROM whatsapp_templates WHERE integration_id = $1 AND external_id = $2',
        [whatsappId, '5001'],
      );
      expect(row.rows[0]).toEqual({ status: 'APPROVED', category: 'UTILITY', quality_score: null });
    });

    it('a stamp in year 5138 does not make every later report stale', async () => {
      await reconcile([good]);
      expect(await statusUpdate('99999999999', 'PAUSED')).toEqual({ status: 'PROCESSED', last_error: null });
      expect((await template('5001')).status_changed_at?.getTime()).toBeLessThanOrEqual(Date.now());
      await new Promise((r) => setTimeout(r, 5));
      const now = Math.floor(Date.now() / 1000) + 1;
      expect(await statusUpdate(String(now), 'REINSTATED')).toEqual({ status: 'PROCESSED', last_error: null });
      expect((await template('5001')).status).toBe('APPROVED');
    });
  });
});
