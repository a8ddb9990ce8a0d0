/**
 * Findings of a fuzz of what provider APIs answer while an event is processed (the Graph lead a
 * leadgen webhook names, the LinkedIn lead form response, WhatsApp template webhooks and the template
 * sync's Graph pages; see /work/notes/fuzz2.md). Each case once left its event FAILED by an
 * unexpected database error, stored nonsense on the lead, or left a token error unreported.
 *
 * This part holds the leads (text PostgreSQL cannot store, huge texts, Graph refusals of the token);
 * the WhatsApp templates are in fuzz-provider-answers-whatsapp-templates.e2e-spec.ts, the shared setup
 * in test/support/fuzz-provider-answers-setup.ts.
 */
import { createHmac } from 'node:crypto';
import { FakeReply, FakeServer } from '../support/fake-server';
import { metaSig } from '../support/hostile-corpus';
import { TestApp } from '../support/test-app';
import { activate, genericSignature } from '../support/webhooks';
import { FORM_ID, Fuzz2, LINKEDIN, META, setupFuzz2 } from '../support/fuzz-provider-answers-setup';

const MB = 'x'.repeat(1_000_000);

describe('fuzzed provider answers', () => {
  let t: TestApp;
  let graph: FakeServer;
  let linkedin: FakeServer;
  let sub: number;
  let metaId: number;
  let linkedinPath: string;
  let generic: { path: string; secret: string };
  let settled: Fuzz2['settled'];
  let close: () => Promise<void>;
  let serial = 0;

  beforeAll(async () => {
    ({ t, graph, linkedin, sub, metaId, linkedinPath, generic, settled, close } = await setupFuzz2());
  });
  afterAll(async () => close?.());

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
});
