import { createIntegration, createSubAccount, GHL_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, googleLead, waitFor } from '../support/webhooks';

describe('GoHighLevel passthrough and Facebook Ads spend', () => {
  let t: TestApp;
  let ghl: FakeServer;
  let graph: FakeServer;
  let sub: number;
  let admin: string;
  let integrationId: number;

  beforeAll(async () => {
    ghl = await FakeServer.start();
    graph = await FakeServer.start();
    t = await createTestApp({ env: { GHL_API_URL: ghl.url, META_GRAPH_URL: graph.url } });
    sub = await createSubAccount(t, 'MAX', 'Bookings');
    admin = `Bearer ${t.token('MANAGER', [sub])}`;
    integrationId = (await createIntegration(t, sub, 'gohighlevel', GHL_CONFIG)).id;
  });
  afterAll(async () => {
    await t.close();
    await ghl.close();
    await graph.close();
  });

  it('lists calendars, free slots and blocks a slot with the calendars API version', async () => {
    ghl.on('GET', '/calendars/', (req) => ({
      status: 200,
      body: { calendars: [{ id: 'cal1', name: 'Consultations', locationId: req.query.get('locationId') }] },
    }));
    ghl.on('GET', '/calendars/cal1/free-slots', () => ({
      status: 200,
      body: { '2026-12-01': { slots: ['2026-12-01T09:00:00-05:00', '2026-12-01T09:30:00-05:00'] } },
    }));
    ghl.on('POST', '/calendars/events/block-slots', (req) => ({
      status: 201,
      body: { id: 'block1', ...(req.body as object) },
    }));
    const calendars = await t.http.get(`/api/integrations/${integrationId}/ghl/calendars`).set('authorization', admin);
    expect(calendars.status).toBe(200);
    expect(JSON.stringify(calendars.body)).toContain('cal1');
    const slots = await t.http
      .get(
        `/api/integrations/${integrationId}/ghl/calendars/cal1/free-slots?startDate=2026-12-01T00:00:00Z&endDate=2026-12-02T00:00:00Z&timezone=America/New_York`,
      )
      .set('authorization', admin);
    expect(slots.status).toBe(200);
    expect(JSON.stringify(slots.body)).toContain('2026-12-01T09:30:00-05:00');
    const block = await t.http
      .post(`/api/integrations/${integrationId}/ghl/calendars/cal1/block-slots`)
      .set('authorization', admin)
      .send({ startTime: '2026-12-01T12:00:00Z', endTime: '2026-12-01T13:00:00Z', title: 'Lunch' });
    expect(block.status).toBe(201);
    const sent = ghl.requests.filter((r) => r.path.startsWith('/calendars'));
    expect(
      sent.every(
        (r) =>
          r.headers.version === '2021-04-15' &&
          r.headers.authorization === `Bearer ${GHL_CONFIG.privateIntegrationToken}`,
      ),
    ).toBe(true);
    expect(ghl.requests.find((r) => r.path === '/calendars/cal1/free-slots')?.query.get('startDate')).toBe(
      String(Date.parse('2026-12-01T00:00:00Z')),
    );
    const bad = await t.http
      .get(
        `/api/integrations/${integrationId}/ghl/calendars/cal1/free-slots?startDate=2026-12-05T00:00:00Z&endDate=2026-12-01T00:00:00Z`,
      )
      .set('authorization', admin);
    expect(bad.status).toBe(400);
  });

  it('pushes a lead as a GoHighLevel contact and links it, mapping provider failures', async () => {
    const google = await createIntegration(t, sub, 'google-ads-lead-forms', { googleKey: 'push-key-000000' });
    await activate(t, sub, google.id);
    await t.http
      .post(new URL(google.webhookUrl).pathname)
      .set('content-type', 'application/json')
      .send(
        googleLead('push-key-000000', 'push-1', {
          name: 'Mary Jackson',
          email: 'mary@example.com',
          phone: '+14155550199',
        }),
      );
    const lead = await waitFor(
      async () =>
        (await t.sql.query("SELECT id FROM leads WHERE email = 'mary@example.com'")).rows[0] as
          { id: string } | undefined,
    );
    ghl.on('POST', '/contacts/upsert', (req) => {
      expect(req.headers.version).toBe('2021-07-28');
      expect(req.body).toEqual(
        expect.objectContaining({
          locationId: GHL_CONFIG.locationId,
          email: 'mary@example.com',
          phone: '+14155550199',
        }),
      );
      return { status: 200, body: { new: true, contact: { id: 'ghl-contact-77' } } };
    });
    const pushed = await t.http
      .post(`/api/integrations/${integrationId}/ghl/contacts`)
      .set('authorization', admin)
      .send({ leadId: String(lead.id) });
    expect(pushed.status).toBe(201);
    expect(pushed.body).toEqual({ contactId: 'ghl-contact-77', created: true });
    const link = await t.sql.query("SELECT lead_id FROM lead_identities WHERE key = 'ext:gohighlevel:ghl-contact-77'");
    expect(String(link.rows[0].lead_id)).toBe(String(lead.id));

    ghl.on('POST', '/contacts/upsert', () => ({ status: 401, body: { statusCode: 401, message: 'Invalid token' } }));
    const refused = await t.http
      .post(`/api/integrations/${integrationId}/ghl/contacts`)
      .set('authorization', admin)
      .send({ leadId: String(lead.id) });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('INVALID_CREDENTIALS');
    expect(
      (
        await t.http
          .post(`/api/integrations/${integrationId}/ghl/contacts`)
          .set('authorization', admin)
          .send({ leadId: '999999' })
      ).status,
    ).toBe(404);
    const other = await createSubAccount(t, 'PRO', 'Nope');
    expect(
      (
        await t.http
          .get(`/api/integrations/${integrationId}/ghl/calendars`)
          .set('authorization', `Bearer ${t.token('ADMIN', [other])}`)
      ).status,
    ).toBe(404);
  });

  // GoHighLevel's BlockSlotCreateRequestDTO takes date-times with an offset ("2021-06-23T03:30:00+05:30");
  // what it would refuse, or read in the calendar's zone, is answered here and never sent
  it('validates a block slot before GoHighLevel sees it: date-times with an offset, end after start, a title', async () => {
    ghl.on('POST', '/calendars/events/block-slots', (req) => ({
      status: 201,
      body: { id: 'block2', ...(req.body as object) },
    }));
    const path = `/api/integrations/${integrationId}/ghl/calendars/cal1/block-slots`;
    const good = { startTime: '2026-12-01T12:00:00-05:00', endTime: '2026-12-01T12:30:00.000-05:00', title: 'Lunch' };
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ ...good, startTime: '2026-12-01T12:00:00' }, 'startTime'], // no offset: the calendar's zone would decide
      [{ ...good, startTime: '2026-12-01' }, 'startTime'],
      [{ ...good, startTime: '1796130000000' }, 'startTime'],
      [{ ...good, startTime: 'next tuesday' }, 'startTime'],
      [{ ...good, startTime: '2026-02-30T10:00:00Z', endTime: '2026-03-02T11:00:00Z' }, 'startTime'],
      [{ ...good, startTime: '2026-12-01T24:30:00Z' }, 'startTime'],
      [{ ...good, startTime: 1796130000000 }, 'startTime'],
      [{ ...good, startTime: '0000-01-01T10:00:00Z' }, 'startTime'], // year 0: no booking
      [{ ...good, startTime: '1899-12-31T23:59:59Z' }, 'startTime'],
      [{ ...good, startTime: '1900-01-01T00:30+01:00' }, 'startTime'], // 1899 in UTC
      [{ ...good, startTime: '0000-01-01T10:00Z', endTime: '0000-01-01T11:00Z' }, 'endTime'],
      [{ ...good, endTime: '9999-12-31T23:00:00-05:00' }, 'endTime'], // past 9999 in UTC
      [{ ...good, startTime: '2026-12-02T10:00' }, 'startTime'], // no seconds and no offset
      [{ ...good, startTime: '2026-12-02T10Z' }, 'startTime'],
      [{ ...good, startTime: '2026-12-02T10:00+25:00' }, 'startTime'],
      [{ ...good, endTime: undefined }, 'endTime'],
      [{ ...good, endTime: good.startTime }, 'endTime'],
      [{ ...good, endTime: '2026-12-01T16:59:00Z' }, 'endTime'], // 11:59 in New York: before the start
      [{ ...good, title: '   ' }, 'title'],
      [{ ...good, title: '' }, 'title'],
      [{ ...good, title: 'x'.repeat(201) }, 'title'],
      [{ ...good, title: undefined }, 'title'],
      [{ ...good, assignedUserId: 'user-1' }, 'assignedUserId'],
      [{ ...good, locationId: 'loc_OTHER' }, 'locationId'],
    ];
    const before = ghl.count('POST', '/calendars/events/block-slots');
    for (const [body, field] of bad) {
      const res = await t.http.post(path).set('authorization', admin).send(body);
      expect({ body, status: res.status, code: res.body.code as unknown }).toEqual({
        body,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
      const details = res.body.details as Array<{ field: string; messages: string[] }>;
      expect(details.map((d) => d.field)).toContain(field);
      for (const d of details) expect(d.messages).toEqual(expect.arrayContaining([expect.any(String)]));
    }
    expect(ghl.count('POST', '/calendars/events/block-slots')).toBe(before);
    const res = await t.http.post(path).set('authorization', admin).send(good);
    expect(res.status).toBe(201);
    expect(ghl.requests.at(-1)?.body).toEqual({ locationId: GHL_CONFIG.locationId, calendarId: 'cal1', ...good });
  });

  it('blocks a slot given without seconds (Z or an offset), passed on as written; end after start still checked', async () => {
    ghl.on('POST', '/calendars/events/block-slots', (req) => ({
      status: 201,
      body: { id: 'block3', ...(req.body as object) },
    }));
    const path = `/api/integrations/${integrationId}/ghl/calendars/cal1/block-slots`;
    for (const slot of [
      { startTime: '2026-12-02T10:00Z', endTime: '2026-12-02T10:30Z', title: 'Call' },
      { startTime: '2026-12-02T10:00+01:00', endTime: '2026-12-02T09:30Z', title: 'Call' }, // 10:30 in +01:00
      { startTime: '1900-01-01T00:00:00Z', endTime: '1900-01-01T01:00Z', title: 'Earliest' },
    ]) {
      const res = await t.http.post(path).set('authorization', admin).send(slot);
      expect({ slot, status: res.status }).toEqual({ slot, status: 201 });
      expect(ghl.requests.at(-1)?.body).toEqual({ locationId: GHL_CONFIG.locationId, calendarId: 'cal1', ...slot });
    }
    const before = ghl.count('POST', '/calendars/events/block-slots');
    const backwards = await t.http
      .post(path)
      .set('authorization', admin)
      .send({ startTime: '2026-12-02T10:00+01:00', endTime: '2026-12-02T08:59Z', title: 'Call' });
    expect([backwards.status, (backwards.body.details as Array<{ field: string }>).map((d) => d.field)]).toEqual([
      400,
      ['endTime'],
    ]);
    const year0 = await t.http
      .post(path)
      .set('authorization', admin)
      .send({ startTime: '0000-01-01T10:00:00Z', endTime: '2026-12-02T10:00Z', title: 'Call' });
    expect(year0.body).toMatchObject({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      details: [
        {
          field: 'startTime',
          messages: [
            'startTime must be an ISO-8601 date-time with an offset or Z, from 1900 through 9999 (2026-12-01T09:00:00-05:00)',
          ],
        },
      ],
    });
    expect(ghl.count('POST', '/calendars/events/block-slots')).toBe(before);
  });

  // disconnect erases the token: there is nothing to call GoHighLevel with, which is the caller's
  // credential problem (as its connection test says), not a 500
  it('answers 422 INVALID_CREDENTIALS for a disconnected integration, without calling GoHighLevel', async () => {
    const gone = await createIntegration(t, sub, 'gohighlevel', { ...GHL_CONFIG, locationId: 'loc_GONE' });
    const owner = `Bearer ${t.token('ADMIN', [sub])}`;
    expect((await t.http.post(`/api/integrations/${gone.id}/disconnect`).set('authorization', owner)).status).toBe(200);
    const lead = await t.http
      .post('/api/leads')
      .set('authorization', admin)
      .send({ subAccountId: sub, fullName: 'Dis Connected' });
    ghl.requests.length = 0;
    const base = `/api/integrations/${gone.id}/ghl`;
    const calls = [
      t.http.get(`${base}/calendars`).set('authorization', admin),
      t.http
        .get(`${base}/calendars/cal1/free-slots?startDate=2026-12-01&endDate=2026-12-02`)
        .set('authorization', admin),
      t.http
        .post(`${base}/calendars/cal1/block-slots`)
        .set('authorization', admin)
        .send({ startTime: '2026-12-01T12:00:00Z', endTime: '2026-12-01T13:00:00Z', title: 'Lunch' }),
      t.http.post(`${base}/contacts`).set('authorization', admin).send({ leadId: lead.body.id }),
    ];
    for (const res of await Promise.all(calls)) {
      expect([res.status, res.body.code]).toEqual([422, 'INVALID_CREDENTIALS']);
      expect(res.body.details).toEqual([expect.objectContaining({ pointer: '/privateIntegrationToken' })]);
    }
    expect(ghl.requests).toHaveLength(0);
  });

  it('syncs Facebook Ads daily insights into the cost table, idempotently', async () => {
    const fb = await createIntegration(t, sub, 'facebook-ads', {
      adAccountId: 'act_1001',
      accessToken: 'fb-token-abcdef',
    });
    await activate(t, sub, fb.id);
    graph.on('GET', '/act_1001/insights', () => ({
      status: 200,
      body: {
        data: [
          {
            campaign_id: 'c1',
            campaign_name: 'Winter',
            adset_id: 's1',
            adset_name: 'LAL',
            ad_id: 'a1',
            ad_name: 'Video',
            spend: '12.34',
            impressions: '1000',
            clicks: '40',
            actions: [{ action_type: 'lead', value: '3' }],
            account_currency: 'USD',
            date_start: '2026-11-20',
          },
          {
            campaign_id: 'c1',
            campaign_name: 'Winter',
            adset_id: 's1',
            adset_name: 'LAL',
            ad_id: 'a2',
            ad_name: 'Image',
            spend: '5',
            impressions: '300',
            clicks: '9',
            account_currency: 'USD',
            date_start: '2026-11-20',
          },
        ],
      },
    }));
    for (let round = 0; round < 2; round++) {
      const started = await t.http.post(`/api/integrations/${fb.id}/sync`).set('authorization', admin);
      expect(started.status).toBe(202);
      await waitFor(
        async () =>
          (await t.sql.query('SELECT status FROM sync_runs WHERE id = $1', [started.body.runId])).rows[0]?.status ===
          'SUCCEEDED',
        20_000,
      );
    }
    const costs = await t.sql.query(
      "SELECT ad_id, spend::text, impressions, clicks, leads, to_char(day, 'YYYY-MM-DD') AS day FROM ad_costs WHERE integration_id = $1 ORDER BY ad_id",
      [fb.id],
    );
    expect(costs.rows).toEqual([
      { ad_id: 'a1', spend: '12.340000', impressions: 1000, clicks: 40, leads: 3, day: '2026-11-20' },
      { ad_id: 'a2', spend: '5.000000', impressions: 300, clicks: 9, leads: 0, day: '2026-11-20' },
    ]);
  });
});
