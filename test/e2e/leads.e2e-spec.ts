import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createIntegration, createSubAccount, templateId } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, genericSignature, googleLead, postGeneric, waitFor } from '../support/webhooks';

const ghlFixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(__dirname, '../../src/handlers/gohighlevel/fixtures', name), 'utf8')) as Record<
    string,
    unknown
  >;

async function processedCount(t: TestApp, integrationIds: number[]): Promise<number> {
  const res = await t.sql.query(
    "SELECT count(*)::int AS n FROM webhook_events WHERE status = 'PROCESSED' AND integration_id = ANY($1)",
    [integrationIds],
  );
  return res.rows[0].n as number;
}

describe('lead capture and deduplication', () => {
  let t: TestApp;
  let linkedin: FakeServer;
  let sub: number;
  let admin: string;

  beforeAll(async () => {
    linkedin = await FakeServer.start();
    t = await createTestApp({ env: { LINKEDIN_API_URL: linkedin.url, WEBHOOK_CACHE_TTL_MS: '0' } });
    sub = await createSubAccount(t, 'MAX', 'Dedup Co');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t.close();
    await linkedin.close();
  });

  it('a super-admin adds a form tool purely through the API, and its signed deliveries become leads', async () => {
    const su = `Bearer ${t.token('SUPER_ADMIN')}`;
    const schema = {
      type: 'object',
      additionalProperties: false,
      required: ['mapping', 'externalIdPointer'],
      properties: {
        mapping: { type: 'object', additionalProperties: { type: 'string' } },
        externalIdPointer: { type: 'string' },
        signatureHeader: { type: 'string' },
        timestampHeader: { type: 'string' },
      },
    };
    const template = await t.http.post('/api/integration-templates').set('authorization', su).send({
      name: 'formly',
      displayName: 'Formly forms',
      category: 'forms',
      handler: 'generic-webhook',
      configSchema: schema,
    });
    expect(template.status).toBe(201);
    const created = await t.http
      .post('/api/integrations')
      .set('authorization', admin)
      .send({
        subAccountId: sub,
        integrationTemplateId: template.body.id,
        name: 'Contact form',
        config: {
          mapping: {
            fullName: '/data/fields/name',
            email: '/data/fields/email',
            phone: '/data/fields/phone',
            formName: '/form/title',
            tags: '/data/tags',
          },
          externalIdPointer: '/data/submissionId',
          signatureHeader: 'x-formly-signature',
          timestampHeader: 'x-formly-timestamp',
        },
      });
    expect(created.status).toBe(201);
    await activate(t, sub, created.body.id);
    const body = JSON.stringify({
      form: { title: 'Spring offer' },
      data: {
        submissionId: 'sub-42',
        fields: { name: 'Katherine Johnson', email: 'KJ@nasa.example', phone: '+1 (757) 555-0101' },
        tags: ['spring', 'web'],
      },
    });
    const ts = Math.floor(Date.now() / 1000);
    const res = await t.http
      .post(new URL(created.body.webhookUrl).pathname)
      .set('content-type', 'application/json')
      .set('x-formly-timestamp', String(ts))
      .set('x-formly-signature', genericSignature(body, created.body.webhookSecret, ts))
      .send(body);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('received');
    await waitFor(() => processedCount(t, [created.body.id]), 20_000, 'form lead');
    const list = await t.http
      .get(`/api/leads?subAccountId=${sub}&source=generic&q=katherine`)
      .set('authorization', admin);
    expect(list.body.items).toEqual([
      expect.objectContaining({
        fullName: 'Katherine Johnson',
        email: 'kj@nasa.example',
        phone: '+17575550101',
        tags: ['spring', 'web'],
      }),
    ]);
    const detail = await t.http.get(`/api/leads/${list.body.items[0].id}`).set('authorization', admin);
    expect(detail.body.sourceTracking.firstTouch).toEqual(
      expect.objectContaining({ platform: 'generic', externalId: 'sub-42', formName: 'Spring offer' }),
    );
  });

  it('50 concurrent deliveries of one person through different platforms and integrations → one lead, one source per delivery', async () => {
    const googles = await Promise.all(
      [0, 1].map(async (i) => {
        const g = await createIntegration(t, sub, 'google-ads-lead-forms', { googleKey: `google-key-dedup-${i}` });
        await activate(t, sub, g.id);
        return { id: g.id, path: new URL(g.webhookUrl).pathname, key: `google-key-dedup-${i}` };
      }),
    );
    const generic = await createIntegration(t, sub, 'generic-webhook', {
      mapping: { fullName: '/name', email: '/email', phone: '/phone' },
      externalIdPointer: '/id',
    });
    await activate(t, sub, generic.id);
    const phones = ['(415) 555-2671', '+1 415 555 2671', '4155552671', '+14155552671'];
    const sends = Array.from({ length: 50 }, (_, i) => {
      const person = {
        name: 'Dorothy Vaughan',
        email: i % 3 === 0 ? 'DOROTHY@example.com' : 'dorothy@example.com',
        phone: phones[i % phones.length],
      };
      if (i % 5 === 4) return postGeneric(t, generic, { id: `gen-${i}`, ...person });
      const g = googles[i % 2];
      return t.http
        .post(g.path)
        .set('content-type', 'application/json')
        .send(googleLead(g.key, `dedup-${i}`, person));
    });
    const results = await Promise.all(sends);
    expect(results.filter((r) => r.status === 200 && r.body.status === 'received')).toHaveLength(50);
    const ids = [...googles.map((g) => g.id), generic.id];
    await waitFor(async () => (await processedCount(t, ids)) === 50, 30_000, '50 processed');
    const leads = await t.sql.query(
      "SELECT id, phone, email FROM leads WHERE sub_account_id = $1 AND email = 'dorothy@example.com'",
      [sub],
    );
    expect(leads.rows).toHaveLength(1);
    expect(leads.rows[0].phone).toBe('+14155552671');
    const sources = await t.sql.query(
      'SELECT platform, count(*)::int AS n FROM lead_sources WHERE lead_id = $1 GROUP BY platform ORDER BY platform',
      [leads.rows[0].id],
    );
    expect(sources.rows).toEqual([
      { platform: 'generic', n: 10 },
      { platform: 'google-ads', n: 40 },
    ]);
    const detail = await t.http.get(`/api/leads/${leads.rows[0].id}`).set('authorization', admin);
    expect(detail.body.sourceTracking.sources).toHaveLength(50);
    expect(detail.body.sourceTracking.firstTouch.id).toBe(detail.body.sourceTracking.sources[0].id);
    expect(detail.body.sourceTracking.latestTouch.id).toBe(detail.body.sourceTracking.sources[49].id);
  });

  it('GoHighLevel: contacts, updates, bookings, opportunity status and inbound messages land on one lead', async () => {
    const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const publicPem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const ghl = await createIntegration(t, sub, 'gohighlevel', {
      locationId: 've9EPM428h8vShlRW1KT',
      privateIntegrationToken: 'pit-ghl-dedup-0000',
      webhookPublicKey: publicPem,
    });
    await activate(t, sub, ghl.id);
    const deliver = async (payload: Record<string, unknown>): Promise<void> => {
      const body = JSON.stringify(payload);
      const res = await t.http
        .post('/api/webhooks/gohighlevel')
        .set('content-type', 'application/json')
        .set('x-wh-signature', sign('sha256', Buffer.from(body), keys.privateKey).toString('base64'))
        .send(body);
      expect(res.status).toBe(200);
    };
    const contact = ghlFixture('ContactCreate.json');
    await deliver(contact);
    await deliver({
      ...ghlFixture('ContactUpdate.json'),
      id: contact.id,
      phone: '+919509597501',
      email: 'johndeo@gmail.comm',
      companyName: 'Updated Corp',
    });
    const appointment = ghlFixture('AppointmentCreate.json');
    await deliver({
      ...appointment,
      locationId: 've9EPM428h8vShlRW1KT',
      appointment: { ...(appointment.appointment as object), contactId: contact.id },
    });
    await deliver({ ...ghlFixture('OpportunityStatusUpdate.json'), contactId: contact.id, status: 'won' });
    await deliver({
      ...ghlFixture('InboundMessage.sms.json'),
      locationId: 've9EPM428h8vShlRW1KT',
      contactId: contact.id,
    });
    await waitFor(async () => (await processedCount(t, [ghl.id])) === 5, 20_000, 'GHL events');
    const lead = await t.sql.query(
      "SELECT id, company, status, email FROM leads WHERE sub_account_id = $1 AND email = 'johndeo@gmail.comm'",
      [sub],
    );
    expect(lead.rows).toEqual([expect.objectContaining({ company: 'Updated Corp', status: 'CONVERTED' })]);
    const detail = await t.http.get(`/api/leads/${lead.rows[0].id}`).set('authorization', admin);
    expect(detail.body.interactions).toEqual([
      expect.objectContaining({ platform: 'gohighlevel', direction: 'inbound', channel: expect.any(String) }),
    ]);
    const converted = await t.http.get(`/api/leads?subAccountId=${sub}&status=CONVERTED`).set('authorization', admin);
    expect(converted.body.items.map((l: { id: string }) => l.id)).toContain(lead.rows[0].id);
    const bookings = await t.sql.query('SELECT calendar_id, lead_id FROM bookings WHERE sub_account_id = $1', [sub]);
    expect(bookings.rows).toEqual([expect.objectContaining({ lead_id: lead.rows[0].id })]);
  });

  it('LinkedIn: a lead notification is resolved through the API; a deletion marks its source deleted', async () => {
    const li = await createIntegration(t, sub, 'linkedin-lead-gen', {
      organizationId: '5590506',
      clientId: 'li-client',
      clientSecret: 'li-client-secret-1234',
      accessToken: 'li-access-token-5678',
    });
    await activate(t, sub, li.id);
    const fixture = JSON.parse(
      readFileSync(
        join(
          __dirname,
          '../../src/handlers/linkedin-lead-gen/fixtures/lead-form-response.fetch-full-lead.postman-example.json',
        ),
        'utf8',
      ),
    ) as Record<string, unknown>;
    linkedin.on('GET', /^\/rest\/leadFormResponses\//, (req) => {
      expect(req.headers['x-restli-protocol-version']).toBe('2.0.0');
      expect(req.headers['linkedin-version']).toMatch(/^\d{6}$/);
      return { status: 200, body: fixture };
    });
    linkedin.on('GET', /^\/rest\/leadForms\//, () => ({ status: 404, body: { message: 'not found' } }));
    const notification = (action: string): string =>
      JSON.stringify({
        type: 'LEAD_ACTION',
        leadGenFormResponse: 'urn:li:leadGenFormResponse:abc-123',
        leadGenForm: 'urn:li:versionedLeadGenForm:(urn:li:leadGenForm:42,1)',
        owner: { organization: 'urn:li:organization:5590506' },
        leadType: 'SPONSORED',
        leadAction: action,
        occurredAt: Date.now(),
      });
    const { createHmac } = await import('node:crypto');
    const send = (body: string) =>
      t.http
        .post('/api/webhooks/linkedin-lead-gen')
        .set('content-type', 'application/json')
        .set('x-li-signature', createHmac('sha256', 'li-client-secret-1234').update(`hmacsha256=${body}`).digest('hex'))
        .send(body);
    expect((await send(notification('CREATED'))).status).toBe(200);
    await waitFor(async () => (await processedCount(t, [li.id])) === 1, 20_000, 'LinkedIn lead');
    const source = await t.sql.query(
      "SELECT lead_id, deleted_at FROM lead_sources WHERE platform = 'linkedin' AND sub_account_id = $1",
      [sub],
    );
    expect(source.rows).toHaveLength(1);
    expect(source.rows[0].deleted_at).toBeNull();
    expect((await send(notification('DELETED'))).status).toBe(200);
    await waitFor(async () => (await processedCount(t, [li.id])) === 2, 20_000, 'LinkedIn deletion');
    const after = await t.sql.query(
      "SELECT deleted_at FROM lead_sources WHERE platform = 'linkedin' AND sub_account_id = $1",
      [sub],
    );
    expect(after.rows[0].deleted_at).not.toBeNull();
    const challenge = await t.http.get(
      '/api/webhooks/linkedin-lead-gen?challengeCode=890e4f2a-7d1b-4c5e-9b1a-2f3e4d5c6b7a',
    );
    expect(challenge.status).toBe(200);
    expect(challenge.body).toEqual({
      challengeCode: '890e4f2a-7d1b-4c5e-9b1a-2f3e4d5c6b7a',
      challengeResponse: createHmac('sha256', 'li-client-secret-1234')
        .update('890e4f2a-7d1b-4c5e-9b1a-2f3e4d5c6b7a')
        .digest('hex'),
    });
  });

  it('keeps leads private to their sub-account and filters the list', async () => {
    const other = await createSubAccount(t, 'PRO', 'Elsewhere');
    const anyLead = await t.sql.query('SELECT id FROM leads WHERE sub_account_id = $1 LIMIT 1', [sub]);
    const foreign = await t.http
      .get(`/api/leads/${anyLead.rows[0].id}`)
      .set('authorization', `Bearer ${t.token('AGENT', [other])}`);
    expect(foreign.status).toBe(404);
    // a malformed id is the caller's mistake (400); a well-formed one that names nothing is 404
    for (const bad of ['abc', '0x1', '1.5', '99999999999999999999']) {
      const res = await t.http.get(`/api/leads/${bad}`).set('authorization', admin);
      expect({ bad, status: res.status, code: res.body.code }).toEqual({ bad, status: 400, code: 'VALIDATION_FAILED' });
    }
    expect((await t.http.get('/api/leads/9223372036854775807').set('authorization', admin)).status).toBe(404);
    expect(
      (await t.http.get(`/api/leads?subAccountId=${sub}`).set('authorization', `Bearer ${t.token('AGENT', [other])}`))
        .status,
    ).toBe(403);
    const mine = await t.http.get('/api/leads').set('authorization', `Bearer ${t.token('AGENT', [other])}`);
    expect(mine.body.total).toBe(0);
    const future = await t.http
      .get(`/api/leads?subAccountId=${sub}&createdFrom=2999-01-01T00:00:00Z`)
      .set('authorization', admin);
    expect(future.body.total).toBe(0);
    // a bare date as createdTo covers that whole (UTC) day: a day's leads are in "from that day to that day"
    const all = await t.http.get(`/api/leads?subAccountId=${sub}&pageSize=200`).set('authorization', admin);
    const day = String(all.body.items[0].createdAt).slice(0, 10);
    const sameDay = all.body.items.filter((l: { createdAt: string }) => l.createdAt.startsWith(day)).length;
    const ofDay = await t.http
      .get(`/api/leads?subAccountId=${sub}&createdFrom=${day}&createdTo=${day}`)
      .set('authorization', admin);
    expect(sameDay).toBeGreaterThan(0);
    expect(ofDay.body.total).toBe(sameDay);
    const byPhone = await t.http.get(`/api/leads?subAccountId=${sub}&q=4155552671`).set('authorization', admin);
    expect(byPhone.body.items.map((l: { email: string }) => l.email)).toContain('dorothy@example.com');
    expect((await t.http.get(`/api/leads?subAccountId=${sub}&status=WON`).set('authorization', admin)).status).toBe(
      400,
    );
    await templateId(t, 'generic-webhook');
  });

  // ISO 8601 also has forms a JavaScript Date cannot read (basic 20261201, week 2026-W48, ordinal 2026-335)
  // and impossible days: they passed validation and became an Invalid Date in the query (500)
  it('answers a createdFrom/createdTo it cannot read as a date 400 VALIDATION_FAILED naming it', async () => {
    for (const [param, value] of [
      ['createdFrom', '20261201'],
      ['createdTo', '2026-W48'],
      ['createdFrom', '2026-335'],
      ['createdTo', '2026-02-30'],
      ['createdFrom', '2026-12-01T25:00:00Z'],
    ]) {
      const res = await t.http.get(`/api/leads?subAccountId=${sub}&${param}=${value}`).set('authorization', admin);
      expect({ value, status: res.status, code: res.body.code }).toEqual({
        value,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
      expect(res.body.details).toEqual([expect.objectContaining({ field: param })]);
    }
    for (const value of ['2026-12-01', '2026-12-01T10:00:00Z', '2026-12-01T10:00:00.123%2B02:00']) {
      const res = await t.http.get(`/api/leads?subAccountId=${sub}&createdFrom=${value}`).set('authorization', admin);
      expect({ value, status: res.status }).toEqual({ value, status: 200 });
    }
  });
});
