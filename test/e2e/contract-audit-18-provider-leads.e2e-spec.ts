// Audit 18, provider leads: what a lead looks like (GET /api/leads/:id, API.md "Leads": sourceTracking
// with platform, campaign, ad group, ad, form) after real-shaped deliveries from Meta Lead Ads and
// GoHighLevel. Failed before their fixes: a Meta lead never had its form's name, though the handler
// reads the form (GET /<form id>?fields=id,name,questions{…}) for every lead; a GoHighLevel contact
// lost its `source` ("xyz form" in the provider's ContactCreate example), the only attribution a
// contact webhook carries, and the medium/landing page/referrer of its attributionSource.
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createIntegration, createSubAccount, GHL_CONFIG, META_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, metaLeadgen, metaSignature, settledEvent, waitFor } from '../support/webhooks';

const HANDLERS = join(__dirname, '../../src/handlers');
const json = (path: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(HANDLERS, path), 'utf8')) as Record<string, unknown>;

describe('API.md contract audit 18: provider leads (Meta, GoHighLevel) as the CRM reads them', () => {
  let t: TestApp;
  let graph: FakeServer;
  let sub: number;
  let admin: string;

  beforeAll(async () => {
    graph = await FakeServer.start();
    t = await createTestApp({ env: { META_GRAPH_URL: graph.url, WEBHOOK_CACHE_TTL_MS: '0' } });
    sub = await createSubAccount(t, 'MAX', 'Provider Leads Co');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t?.close();
    await graph?.close();
  });

  /** The lead a platform id names, read as the CRM reads it. */
  async function leadByExternal(platform: string, externalId: string): Promise<Record<string, unknown>> {
    const id = await waitFor(async () => {
      const row = await t.sql.query<{ lead_id: string }>(
        'SELECT lead_id::text AS lead_id FROM lead_identities WHERE sub_account_id = $1 AND key = $2',
        [sub, `ext:${platform}:${externalId}`],
      );
      return row.rows[0]?.lead_id;
    });
    const res = await t.http.get(`/api/leads/${id}`).set('authorization', admin);
    expect(res.status).toBe(200);
    return res.body as Record<string, unknown>;
  }

  it("Meta: a lead's sourceTracking names its form (the LeadgenForm's name), beside the form id", async () => {
    const PAGE = '551800000000001';
    const LEAD = '1843301527618001';
    const FORM = '428591720391133';
    const integration = await createIntegration(t, sub, 'meta-lead-ads', { ...META_CONFIG, pageId: PAGE });
    await activate(t, sub, integration.id);
    // Meta's GET /<lead id> answer (fixtures/lead-retrieve-response.json) for this lead and form
    const official = json('meta-lead-ads/fixtures/lead-retrieve-response.json');
    graph.on('GET', `/${LEAD}`, () => ({
      status: 200,
      body: { ...official, id: LEAD, ad_id: '120210000000001', form_id: FORM },
    }));
    // the form, with its name ("Solar quote – Instagram")
    graph.on('GET', `/${FORM}`, () => ({
      status: 200,
      body: json('meta-lead-ads/fixtures/form-questions.written-for-spec.json'),
    }));
    const body = metaLeadgen(PAGE, [LEAD], FORM);
    const res = await t.http
      .post('/api/webhooks/meta-lead-ads')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(body, META_CONFIG.appSecret))
      .send(body);
    expect(res.body.status).toBe('received');
    expect(await settledEvent(t, res.body.eventId as string)).toMatchObject({ status: 'PROCESSED' });

    const lead = await leadByExternal('meta', LEAD);
    expect(lead).toMatchObject({ fullName: 'Joe Example' });
    const tracking = lead.sourceTracking as Record<string, unknown>;
    expect(tracking).toMatchObject({ platform: 'meta', formId: FORM, formName: 'Solar quote – Instagram' });
    expect(tracking.latestTouch).toMatchObject({
      externalId: LEAD,
      adId: '120210000000001',
      formId: FORM,
      formName: 'Solar quote – Instagram',
    });
  });

  it('Meta: with its form read, an EMAIL question left empty does not cost the lead its work e-mail', async () => {
    const PAGE = '551800000000002';
    const LEAD = '1843301527618002';
    const FORM = '428591720391134';
    const integration = await createIntegration(t, sub, 'meta-lead-ads', { ...META_CONFIG, pageId: PAGE });
    await activate(t, sub, integration.id);
    graph.on('GET', `/${LEAD}`, () => ({
      status: 200,
      body: {
        id: LEAD,
        created_time: '2026-12-01T08:49:14+0000',
        form_id: FORM,
        field_data: [
          { name: 'full_name', values: ['Ana Costa'] },
          // the form's EMAIL question (key contact_mail_1), not answered
          { name: 'contact_mail_1', values: [] },
          { name: 'work_email', values: ['Ana.Costa@Corp.example'] },
        ],
      },
    }));
    graph.on('GET', `/${FORM}`, () => ({
      status: 200,
      body: { ...json('meta-lead-ads/fixtures/form-questions.written-for-spec.json'), id: FORM },
    }));
    const body = metaLeadgen(PAGE, [LEAD], FORM);
    const res = await t.http
      .post('/api/webhooks/meta-lead-ads')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(body, META_CONFIG.appSecret))
      .send(body);
    expect(await settledEvent(t, res.body.eventId as string)).toMatchObject({ status: 'PROCESSED' });

    const lead = await leadByExternal('meta', LEAD);
    // the same answers without the form already gave the work e-mail (NAME_FALLBACKS); the form must not lose it
    expect(lead).toMatchObject({ fullName: 'Ana Costa', email: 'ana.costa@corp.example' });
    expect(lead.customAnswers).not.toHaveProperty('work_email');
  });

  it('GoHighLevel: a ContactCreate keeps its source and the contact stays one lead across its ContactUpdate', async () => {
    const ed = generateKeyPairSync('ed25519');
    const LOCATION = 'loc_AUDIT18';
    const integration = await createIntegration(t, sub, 'gohighlevel', {
      ...GHL_CONFIG,
      locationId: LOCATION,
      webhookEd25519PublicKey: ed.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    });
    await activate(t, sub, integration.id);
    let n = 0;
    const deliver = async (payload: Record<string, unknown>): Promise<string> => {
      const body = JSON.stringify({
        ...payload,
        locationId: LOCATION,
        webhookId: `wh-audit18-${++n}`,
        timestamp: new Date().toISOString(),
      });
      const res = await t.http
        .post('/api/webhooks/gohighlevel')
        .set('content-type', 'application/json')
        .set('x-ghl-signature', sign(null, Buffer.from(body), ed.privateKey).toString('base64'))
        .send(body);
      expect(res.body.status).toBe('received');
      const eventId = res.body.eventId as string;
      expect(await settledEvent(t, eventId)).toMatchObject({ status: 'PROCESSED' });
      return eventId;
    };
    // GoHighLevel's ContactCreate example (docs/webhook events/ContactCreate.md): "source": "xyz form"
    const contact = { ...json('gohighlevel/fixtures/ContactCreate.json'), id: 'ghlAudit18Contact01' };
    await deliver(contact);
    // a contact created through a funnel: the API's attributionSource shape (apps/contacts.json)
    await deliver({
      ...contact,
      type: 'ContactUpdate',
      dateUpdated: new Date().toISOString(),
      attributionSource: {
        url: 'https://roofs.example/quote',
        referrer: 'https://www.google.com/',
        medium: 'form',
        mediumId: 'FglfHAn30PRwsZVyQlKp',
        campaign: 'Spring roofs',
      },
    });

    const lead = await leadByExternal('gohighlevel', 'ghlAudit18Contact01');
    const tracking = lead.sourceTracking as { sources: Array<Record<string, unknown>> };
    expect(tracking.sources).toHaveLength(2);
    expect(tracking.sources[0]).toMatchObject({ platform: 'gohighlevel', details: { source: 'xyz form' } });
    expect(tracking.sources[1]).toMatchObject({
      campaignName: 'Spring roofs',
      formId: 'FglfHAn30PRwsZVyQlKp',
      details: {
        source: 'xyz form',
        medium: 'form',
        url: 'https://roofs.example/quote',
        referrer: 'https://www.google.com/',
      },
    });
  });
});
