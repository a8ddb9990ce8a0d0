// Issue 10 over HTTP: GoHighLevel stages and bookings, GA traffic, WhatsApp user ids and Meta lead fields.
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createIntegration, createSubAccount, GHL_CONFIG, META_CONFIG, WHATSAPP_CONFIG } from '../support/factories';
import { runReportEndpoint, TrafficRow } from '../support/fake-google-analytics';
import { FakeServer } from '../support/fake-server';
import { createTestApp, TestApp } from '../support/test-app';
import { metaLeadgen, metaSignature, waitFor } from '../support/webhooks';

const HANDLERS = join(__dirname, '../../src/handlers');
const json = (path: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(HANDLERS, path), 'utf8')) as Record<string, unknown>;
const DAY_MS = 24 * 3600_000;

/** Issue 10 end to end: GoHighLevel events, Google Analytics traffic, WhatsApp user ids, Meta lead fields. */
describe('provider fidelity over HTTP: CRM, analytics and messaging', () => {
  let t: TestApp;
  let ghl: FakeServer;
  let graph: FakeServer;
  let ga: FakeServer;
  let sub: number;
  let admin: string;

  beforeAll(async () => {
    [ghl, graph, ga] = await Promise.all([FakeServer.start(), FakeServer.start(), FakeServer.start()]);
    t = await createTestApp({
      env: {
        GHL_API_URL: ghl.url,
        META_GRAPH_URL: graph.url,
        GOOGLE_ANALYTICS_API_URL: ga.url,
        WEBHOOK_CACHE_TTL_MS: '0',
      },
    });
    sub = await createSubAccount(t, 'MAX', 'CRM Fidelity Co');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([ghl.close(), graph.close(), ga.close()]);
  });

  async function connect(integrationId: number): Promise<void> {
    const res = await t.http.post(`/api/integrations/${integrationId}/test`).set('authorization', admin);
    expect(res.body).toMatchObject({ success: true });
  }
  const processed = (integrationId: number, count: number) =>
    waitFor(async () => {
      const row = await t.sql.query<{ n: number; failed: number }>(
        "SELECT count(*) FILTER (WHERE status = 'PROCESSED')::int AS n, count(*) FILTER (WHERE status = 'FAILED')::int AS failed FROM webhook_events WHERE integration_id = $1",
        [integrationId],
      );
      if (row.rows[0].failed > 0) throw new Error('an event failed');
      return row.rows[0].n >= count;
    });
  const leadOf = async (platform: string, externalId: string) => {
    const row = await t.sql.query<{ lead_id: string }>(
      'SELECT lead_id FROM lead_identities WHERE sub_account_id = $1 AND key = $2',
      [sub, `ext:${platform}:${externalId}`],
    );
    return row.rows[0]?.lead_id;
  };

  it('GoHighLevel: x-ghl-signature deliveries move the pipeline stage, reschedule and delete bookings, and delete contacts', async () => {
    const ed = generateKeyPairSync('ed25519');
    const integration = await createIntegration(t, sub, 'gohighlevel', {
      ...GHL_CONFIG,
      webhookEd25519PublicKey: ed.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    });
    ghl.on('GET', `/locations/${GHL_CONFIG.locationId}`, () => ({
      status: 200,
      body: { location: { id: GHL_CONFIG.locationId, name: 'Acme HQ' } },
    }));
    ghl.on('GET', '/opportunities/pipelines', () => ({
      status: 200,
      body: {
        pipelines: [{ id: 'VDm7RPYC2GLUvdpKmBfC', name: 'Sales', stages: [{ id: 'stage-2', name: 'Proposal sent' }] }],
      },
    }));
    await connect(integration.id);
    let n = 0;
    const deliver = async (payload: Record<string, unknown>) => {
      const body = JSON.stringify({
        ...payload,
        locationId: GHL_CONFIG.locationId,
        webhookId: `wh-${++n}`,
        timestamp: new Date().toISOString(),
      });
      const res = await t.http
        .post('/api/webhooks/gohighlevel')
        .set('content-type', 'application/json')
        .set('x-ghl-signature', sign(null, Buffer.from(body), ed.privateKey).toString('base64'))
        .send(body);
      expect(res.body.status).toBe('received');
    };
    const contact = json('gohighlevel/fixtures/ContactCreate.json');
    const contactId = String(contact.id);
    await deliver(contact);
    await deliver({
      ...json('gohighlevel/fixtures/OpportunityStageUpdate.json'),
      contactId,
      pipelineStageId: 'stage-2',
    });
    const appointment = json('gohighlevel/fixtures/AppointmentCreate.json').appointment as Record<string, unknown>;
    const cancelled = {
      ...appointment,
      contactId,
      startTime: '2030-01-02T10:00:00Z',
      appointmentStatus: 'cancelled',
      dateUpdated: '2023-09-26T09:00:00+05:30',
    };
    // applied out of order: the reschedule first, then the older creation, which must not undo it
    await deliver({ type: 'AppointmentUpdate', appointment: cancelled });
    await processed(integration.id, 3);
    await deliver({ type: 'AppointmentCreate', appointment: { ...appointment, contactId } });
    await processed(integration.id, 4);

    const leadId = await leadOf('gohighlevel', contactId);
    const lead = await t.http.get(`/api/leads/${leadId}`).set('authorization', admin);
    expect(lead.body.pipelineStage).toMatchObject({
      platform: 'gohighlevel',
      pipelineId: 'VDm7RPYC2GLUvdpKmBfC',
      pipelineName: 'Sales',
      stageId: 'stage-2',
      stageName: 'Proposal sent',
      opportunityStatus: 'open',
    });
    expect(lead.body.bookings).toEqual([
      expect.objectContaining({ startTime: '2030-01-02T10:00:00.000Z', status: 'cancelled' }),
    ]);

    // the deletion carries the booking's last change date; an update of that same date applied later leaves it deleted
    await deliver({ type: 'AppointmentDelete', appointment: cancelled });
    await processed(integration.id, 5);
    await deliver({ type: 'AppointmentUpdate', appointment: cancelled });
    await deliver({ ...json('gohighlevel/fixtures/ContactDelete.json'), id: contactId });
    await processed(integration.id, 7);
    const after = await t.http.get(`/api/leads/${leadId}`).set('authorization', admin);
    expect(after.body.bookings[0].status).toBe('deleted');
    expect(after.body.sourceTracking.sources.every((s: { deletedAt: string | null }) => s.deletedAt !== null)).toBe(
      true,
    );
  });

  it('Google Analytics: a sync stores daily traffic by source, medium and campaign, and a re-sync updates it in place', async () => {
    const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const PROPERTY = '345678901';
    const integration = await createIntegration(t, sub, 'google-analytics', {
      propertyId: PROPERTY,
      serviceAccountKey: JSON.stringify({
        client_email: 'reader@demo.iam.gserviceaccount.com',
        private_key: key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        token_uri: `${ga.url}/token`,
      }),
    });
    const today = new Date().toISOString().slice(0, 10);
    const day = (back: number) => new Date(Date.parse(today) - back * DAY_MS).toISOString().slice(0, 10);
    const row = (date: string, campaign: string, sessions: number): TrafficRow => ({
      date,
      sessionSource: 'facebook',
      sessionMedium: 'paid_social',
      sessionCampaignName: campaign,
      sessionCampaignId: '120226305854810726',
      sessions,
      engagedSessions: Math.floor(sessions / 2),
      keyEvents: 2,
    });
    let rows = [row(day(2), 'winter', 40), row(day(1), 'winter', 55), row(day(45), 'too-old', 9)];
    ga.on('POST', '/token', () => ({ status: 200, body: { access_token: 'ya29.e2e', expires_in: 3599 } }));
    ga.on('GET', `/v1beta/properties/${PROPERTY}/metadata`, () => ({ status: 200, body: { dimensions: [] } }));
    ga.on(
      'POST',
      `/v1beta/properties/${PROPERTY}:runReport`,
      runReportEndpoint({ propertyId: PROPERTY, token: 'ya29.e2e', today, rows: () => rows }),
    );
    await connect(integration.id);

    const sync = async () => {
      const started = await t.http.post(`/api/integrations/${integration.id}/sync`).set('authorization', admin);
      expect(started.status).toBe(202);
      return waitFor(async () => {
        const run = (await t.sql.query('SELECT status, fetched FROM sync_runs WHERE id = $1', [started.body.runId]))
          .rows[0] as { status: string; fetched: number } | undefined;
        return run && run.status !== 'RUNNING' ? run : undefined;
      });
    };
    expect(await sync()).toEqual({ status: 'SUCCEEDED', fetched: 2 });
    const traffic = async () =>
      (
        await t.sql.query(
          "SELECT to_char(day, 'YYYY-MM-DD') AS day, source, medium, campaign_name, campaign_id, sessions, engaged_sessions, key_events::float AS key_events, sub_account_id FROM traffic_daily WHERE integration_id = $1 ORDER BY day",
          [integration.id],
        )
      ).rows;
    expect(await traffic()).toEqual([
      {
        day: day(2),
        source: 'facebook',
        medium: 'paid_social',
        campaign_name: 'winter',
        campaign_id: '120226305854810726',
        sessions: 40,
        engaged_sessions: 20,
        key_events: 2,
        sub_account_id: sub,
      },
      expect.objectContaining({ day: day(1), sessions: 55 }),
    ]);
    // GA revised yesterday; the next run re-reads the last days and updates them, adding no duplicate
    rows = [row(day(2), 'winter', 40), row(day(1), 'winter', 61)];
    expect(await sync()).toMatchObject({ status: 'SUCCEEDED' });
    expect((await traffic()).map((r) => [r.day, r.sessions])).toEqual([
      [day(2), 40],
      [day(1), 61],
    ]);
  });

  it('WhatsApp: a username-only user, the same user with a number, and a changed user id are one contact, captured as one lead', async () => {
    // issue 12: WhatsApp contacts are conversations; a lead is created only by capture-lead (or matched by phone)
    const integration = await createIntegration(t, sub, 'whatsapp-cloud', WHATSAPP_CONFIG);
    graph.on('GET', `/${WHATSAPP_CONFIG.phoneNumberId}`, () => ({
      status: 200,
      body: { id: WHATSAPP_CONFIG.phoneNumberId, display_phone_number: '15550783881', verified_name: 'Acme' },
    }));
    graph.on('GET', `/${WHATSAPP_CONFIG.wabaId}/phone_numbers`, () => ({
      status: 200,
      body: { data: [{ id: WHATSAPP_CONFIG.phoneNumberId }] },
    }));
    await connect(integration.id);
    const deliver = async (body: string) => {
      const res = await t.http
        .post('/api/webhooks/whatsapp-cloud')
        .set('content-type', 'application/json')
        .set('x-hub-signature-256', metaSignature(body, WHATSAPP_CONFIG.appSecret))
        .send(body);
      expect(res.body.status).toBe('received');
    };
    const conversations = async () =>
      (
        await t.http
          .get(`/api/whatsapp/conversations?subAccountId=${sub}&integrationId=${integration.id}`)
          .set('authorization', admin)
      ).body.items as Array<{ id: string; leadId: string | null; contact: Record<string, string | null> }>;
    const fixture = (name: string) => readFileSync(join(HANDLERS, 'whatsapp-cloud/fixtures', name), 'utf8');
    await deliver(fixture('inbound-text-message.username-only.ASSEMBLED.json'));
    await processed(integration.id, 1);
    const [first] = await conversations();
    expect(first.contact).toMatchObject({ userId: 'US.13491208655302741918', waId: null });
    expect(first.leadId).toBeNull();
    // the same user, now with the number beside the BSUID (another message id), then a new user id
    await deliver(fixture('inbound-text-message.with-bsuid-and-ctwa.ASSEMBLED.json').replace('RgA=', 'RgC='));
    await deliver(fixture('system.user-changed-user-id.ASSEMBLED.json'));
    await processed(integration.id, 3);
    const all = await conversations();
    expect(all).toHaveLength(1);
    expect(all[0].id).toBe(first.id);
    expect(all[0].contact).toMatchObject({
      waId: '16505551234',
      phone: '+16505551234',
      userId: 'US.99170255311048736552',
    });
    const captured = await t.http
      .post(`/api/whatsapp/conversations/${first.id}/capture-lead`)
      .set('authorization', admin)
      .send({});
    expect(captured.status).toBe(201);
    expect(captured.body).toMatchObject({ phone: '+16505551234', fullName: 'Sheena Nelson' });
    expect(captured.body.interactions).toHaveLength(2);
    expect(captured.body.sourceTracking.latestTouch).toMatchObject({
      platform: 'whatsapp',
      adId: '120226305854810726',
      details: expect.objectContaining({ ctwaClid: expect.stringMatching(/^ARAk/), referralHeadline: 'Spring sale' }),
    });
  });

  it('Meta: a lead keeps its platform, partner and consents, mapped through the form questions', async () => {
    const PAGE = '550000000000001';
    const integration = await createIntegration(t, sub, 'meta-lead-ads', { ...META_CONFIG, pageId: PAGE });
    // the connection test reads the page token's own page (/me)
    graph.on('GET', '/me', (req) => {
      // appsecret_proof on the connection test too
      expect(req.query.get('appsecret_proof')).toBe(
        createHmac('sha256', META_CONFIG.appSecret).update(META_CONFIG.pageAccessToken).digest('hex'),
      );
      return { status: 200, body: { id: PAGE, name: 'Solar Co' } };
    });
    graph.on('GET', '/1843301527654328', () => ({
      status: 200,
      body: json('meta-lead-ads/fixtures/lead-with-consents.written-for-spec.json'),
    }));
    graph.on('GET', '/428591720391133', () => ({
      status: 200,
      body: json('meta-lead-ads/fixtures/form-questions.written-for-spec.json'),
    }));
    await connect(integration.id);
    const body = metaLeadgen(PAGE, ['1843301527654328'], '428591720391133');
    const res = await t.http
      .post('/api/webhooks/meta-lead-ads')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(body, META_CONFIG.appSecret))
      .send(body);
    expect(res.body.status).toBe('received');
    await processed(integration.id, 1);
    const lead = await t.http.get(`/api/leads/${await leadOf('meta', '1843301527654328')}`).set('authorization', admin);
    expect(lead.body).toMatchObject({ email: 'marta.rocha@example.com', phone: '+351913555010' });
    expect(lead.body.sourceTracking.latestTouch.details).toEqual({
      platform: 'ig',
      partnerName: 'Acme CRM Connector',
      consents: [
        { key: 'marketing_opt_in', accepted: true },
        { key: 'partner_sharing', accepted: false },
      ],
    });
  });

  it('Meta: without its form, the EMAIL answer is the e-mail over a WORK_EMAIL listed first', async () => {
    const PAGE = '550000000000002';
    const integration = await createIntegration(t, sub, 'meta-lead-ads', { ...META_CONFIG, pageId: PAGE });
    graph.on('GET', '/me', () => ({ status: 200, body: { id: PAGE, name: 'Dealer Co' } }));
    // Meta's GET /<lead id> answer (fixtures/lead-retrieve-response.json) with a work e-mail before the e-mail
    const official = json('meta-lead-ads/fixtures/lead-retrieve-response.json');
    const fields = official.field_data as unknown[];
    graph.on('GET', '/1843301527650002', () => ({
      status: 200,
      body: {
        ...official,
        id: '1843301527650002',
        form_id: '428591720390002',
        field_data: [{ name: 'work_email', values: ['joe@dealer.example'] }, ...fields],
      },
    }));
    // the form cannot be read (no permission on it): answers are mapped by Meta's prefill names
    graph.on('GET', '/428591720390002', () => ({
      status: 400,
      body: { error: { message: 'Unsupported get request.', type: 'GraphMethodException', code: 100 } },
    }));
    await connect(integration.id);
    const body = metaLeadgen(PAGE, ['1843301527650002'], '428591720390002');
    const res = await t.http
      .post('/api/webhooks/meta-lead-ads')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(body, META_CONFIG.appSecret))
      .send(body);
    expect(res.body.status).toBe('received');
    await processed(integration.id, 1);
    const lead = await t.http.get(`/api/leads/${await leadOf('meta', '1843301527650002')}`).set('authorization', admin);
    expect(lead.body).toMatchObject({ fullName: 'Joe Example', email: 'joe@example.com' });
    expect(lead.body.customAnswers).toMatchObject({ work_email: 'joe@dealer.example' });
  });
});
