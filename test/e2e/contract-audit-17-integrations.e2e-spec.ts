// Audit 17 of API.md's "Integrations" and its "GoHighLevel passthrough" (events, replay and health
// excepted) as the CRM's developer, another tenant and a provider that answers badly. Failed before
// their fix:
// - free-slots read a bound without an offset (`startDate=2026-12-01`, `2026-12-01T08:00`) as UTC (a
//   date) or as the server's own clock (a date-time), whatever `timezone` the CRM sent: the booking screen
//   asking for 1 December in New York got from 30 November 19:00 to 1 December 19:00 there, so the
//   evening's slots were never offered (east of UTC, the morning's). Such a bound is a wall-clock time in
//   the requested time zone now (UTC without one); a bound with an offset or Z, or epoch milliseconds, is
//   an instant as before;
// - GoHighLevel's 429 (its burst limit, 100 requests per 10 s per location) answered 502 CONNECTION_FAILED
//   "GoHighLevel is unavailable": the CRM showed an outage and retried at once. It is 429
//   RATE_LIMIT_EXCEEDED with GoHighLevel's Retry-After now (API.md "Errors");
// - GoHighLevel's 404 (a calendar deleted there, a contact gone) answered 400 VALIDATION_FAILED, as if
//   the CRM had sent a bad field; it is 404 NOT_FOUND now. A 401 stays 422 INVALID_CREDENTIALS;
// - a routing key pasted with a space or a line break around it (" loc_X", "loc_X\n": the seeded
//   GoHighLevel schema sets no pattern on locationId) was claimed beside the real one: another sub-account
//   got 201 instead of 409 ROUTING_KEY_TAKEN for a location already connected, and an admin's own paste
//   stored an integration that no delivery can reach, whose test blamed the token ("does not reach
//   location"). It is 400 CONFIG_SCHEMA_INVALID at the field now, on create, test-config and change.
//   Case variants stay distinct keys: GoHighLevel's ids are case-sensitive, Meta's and LinkedIn's digits;
// - a connection test of a disconnected integration (its token erased, so it fails) turned it into
//   `error`: the CRM no longer showed it disconnected, a sync was accepted again (202, a run bound to
//   fail) instead of 409 INTEGRATION_NOT_ACTIVE, and a WhatsApp one counted again as a live user of its
//   WABA. It stays `disconnected` now (the failed test is still answered 422 with success: false), as a
//   background failure leaves it since audit 14.
import { createIntegration, createSubAccount, GHL_CONFIG, templateId } from '../support/factories';
import { IntegrationsFixture, setupIntegrations } from '../support/integrations-setup';

describe('API.md audit 17 (integrations, GoHighLevel passthrough)', () => {
  let fx: IntegrationsFixture;
  let seq = 0;
  /** A GoHighLevel integration of its own location (and so its own outbound budget). */
  const ghlIntegration = async (): Promise<number> =>
    (await createIntegration(fx.t, fx.sub, 'gohighlevel', { ...GHL_CONFIG, locationId: `loc_a17_${++seq}` })).id;

  beforeAll(async () => {
    fx = await setupIntegrations();
  });
  afterAll(() => fx?.close());
  beforeEach(() => fx.reset());

  describe('GET …/ghl/calendars/:calendarId/free-slots?startDate=&endDate=&timezone=', () => {
    const slotsAsked = async (query: string): Promise<{ startDate: string | null; endDate: string | null }> => {
      const { t, ghl, admin } = fx;
      const id = await ghlIntegration();
      ghl.on('GET', '/calendars/cal1/free-slots', () => ({
        status: 200,
        body: { '2026-12-01': { slots: ['2026-12-01T20:00:00-05:00'] } },
      }));
      const res = await t.http
        .get(`/api/integrations/${id}/ghl/calendars/cal1/free-slots?${query}`)
        .set('authorization', admin);
      expect([query, res.status]).toEqual([query, 200]);
      const sent = ghl.requests.filter((r) => r.path === '/calendars/cal1/free-slots').at(-1);
      return { startDate: sent?.query.get('startDate') ?? null, endDate: sent?.query.get('endDate') ?? null };
    };
    const ms = (iso: string): string => String(Date.parse(iso));

    it('reads dates as days of the requested time zone, so the evening of the last day is asked for', async () => {
      expect(await slotsAsked('startDate=2026-12-01&endDate=2026-12-02&timezone=America%2FNew_York')).toEqual({
        startDate: ms('2026-12-01T00:00:00-05:00'),
        endDate: ms('2026-12-02T00:00:00-05:00'),
      });
      expect(await slotsAsked('startDate=2026-12-01&endDate=2026-12-02&timezone=Asia%2FTokyo')).toEqual({
        startDate: ms('2026-12-01T00:00:00+09:00'),
        endDate: ms('2026-12-02T00:00:00+09:00'),
      });
    });

    it('reads a date-time without an offset on the wall clock of the time zone (UTC without one)', async () => {
      expect(
        await slotsAsked('startDate=2026-12-01T08:00&endDate=2026-12-01T18:30:15.500&timezone=Asia%2FKolkata'),
      ).toEqual({ startDate: ms('2026-12-01T08:00:00+05:30'), endDate: ms('2026-12-01T18:30:15.500+05:30') });
      expect(await slotsAsked('startDate=2026-12-01T08:00&endDate=2026-12-02')).toEqual({
        startDate: ms('2026-12-01T08:00:00Z'),
        endDate: ms('2026-12-02T00:00:00Z'),
      });
    });

    it('keeps instants with an offset and epoch milliseconds as they are, whatever the time zone', async () => {
      const start = Date.parse('2026-12-01T05:00:00Z');
      expect(
        await slotsAsked(`startDate=${start}&endDate=2026-12-02T00:00:00%2B01:00&timezone=America%2FNew_York`),
      ).toEqual({ startDate: String(start), endDate: ms('2026-12-02T00:00:00+01:00') });
    });

    it('checks endDate against startDate as zoned instants (1 December in Honolulu begins after 09:00 UTC)', async () => {
      const { t, ghl, admin } = fx;
      const id = await ghlIntegration();
      ghl.on('GET', '/calendars/cal1/free-slots', () => ({ status: 200, body: {} }));
      // 2026-12-01 in Honolulu (-10:00) begins at 10:00 UTC, after the start
      const res = await t.http
        .get(
          `/api/integrations/${id}/ghl/calendars/cal1/free-slots?startDate=2026-12-01T09:00:00Z&endDate=2026-12-01&timezone=Pacific%2FHonolulu`,
        )
        .set('authorization', admin);
      expect(res.status).toBe(200);
    });
  });

  describe('routing keys (API.md: a location belongs to one sub-account)', () => {
    it('refuses a location id with white space around it, on create, test-config and change', async () => {
      const { t, ghl, sub, admin } = fx;
      ghl.on('GET', /^\/locations\//, (req) => ({
        status: 200,
        body: { location: { id: decodeURIComponent(req.path.slice('/locations/'.length)), name: 'HQ' } },
      }));
      const owned = await createIntegration(t, sub, 'gohighlevel', { ...GHL_CONFIG, locationId: 'loc_a17_owned' });
      const other = await createSubAccount(t, 'MAX', 'Other tenant');
      const otherAdmin = `Bearer ${t.token('ADMIN', [other])}`;
      const template = await templateId(t, 'gohighlevel');
      const exact = await t.http
        .post('/api/integrations')
        .set('authorization', otherAdmin)
        .send({
          subAccountId: other,
          integrationTemplateId: template,
          name: 'Taken',
          config: { ...GHL_CONFIG, locationId: 'loc_a17_owned' },
        });
      expect([exact.status, exact.body.code]).toEqual([409, 'ROUTING_KEY_TAKEN']);
      for (const locationId of [' loc_a17_owned', 'loc_a17_owned ', 'loc_a17_owned\n', '\tloc_a17_owned']) {
        const config = { ...GHL_CONFIG, locationId };
        const create = await t.http
          .post('/api/integrations')
          .set('authorization', otherAdmin)
          .send({ subAccountId: other, integrationTemplateId: template, name: 'Pasted', config });
        const tested = await t.http
          .post('/api/integrations/test-config')
          .set('authorization', otherAdmin)
          .send({ subAccountId: other, integrationTemplateId: template, config });
        const changed = await t.http
          .patch(`/api/integrations/${owned.id}`)
          .set('authorization', admin)
          .send({ config: { locationId } });
        for (const res of [create, tested, changed]) {
          expect([locationId, res.status, res.body.code]).toEqual([locationId, 400, 'CONFIG_SCHEMA_INVALID']);
          expect(res.body.details).toEqual([expect.objectContaining({ pointer: '/locationId' })]);
        }
        expect(tested.body.success).toBe(false);
      }
      const claims = await t.sql.query(
        'SELECT count(*)::int AS n FROM webhook_routing_claims WHERE sub_account_id = $1',
        [other],
      );
      expect(claims.rows[0].n).toBe(0);
    });
  });

  describe('POST /api/integrations/:id/disconnect, then a connection test', () => {
    it('a failed test leaves the integration disconnected, inactive, and refusing syncs', async () => {
      const { t, ghl, admin } = fx;
      const id = await ghlIntegration();
      ghl.on('GET', /^\/locations\//, (req) => ({
        status: 200,
        body: { location: { id: decodeURIComponent(req.path.slice('/locations/'.length)), name: 'HQ' } },
      }));
      expect((await t.http.post(`/api/integrations/${id}/test`).set('authorization', admin)).status).toBe(200);
      const disconnected = await t.http.post(`/api/integrations/${id}/disconnect`).set('authorization', admin);
      expect([disconnected.status, disconnected.body.status]).toEqual([200, 'disconnected']);
      const tested = await t.http.post(`/api/integrations/${id}/test`).set('authorization', admin);
      expect([tested.status, tested.body.code, tested.body.success]).toEqual([422, 'INVALID_CREDENTIALS', false]);
      const after = await t.http.get(`/api/integrations/${id}`).set('authorization', admin);
      expect([after.body.status, after.body.isActive]).toEqual(['disconnected', false]);
      const sync = await t.http.post(`/api/integrations/${id}/sync`).set('authorization', admin);
      expect([sync.status, sync.body.code]).toEqual([409, 'INTEGRATION_NOT_ACTIVE']);
      const listed = await t.http.get(`/api/integrations?status=disconnected&pageSize=200`).set('authorization', admin);
      expect(listed.body.items.map((i: { id: number }) => i.id)).toContain(id);
    });
  });

  describe("GoHighLevel's refusals in the API's error codes", () => {
    it('answers its 429 as 429 RATE_LIMIT_EXCEEDED with its Retry-After, not 502 CONNECTION_FAILED', async () => {
      const { t, ghl, admin } = fx;
      const id = await ghlIntegration();
      ghl.on('GET', '/calendars/', () => ({
        status: 429,
        headers: { 'retry-after': '120' },
        body: { statusCode: 429, message: 'Too many requests' },
      }));
      const res = await t.http.get(`/api/integrations/${id}/ghl/calendars`).set('authorization', admin);
      expect([res.status, res.body.code]).toEqual([429, 'RATE_LIMIT_EXCEEDED']);
      expect(Number(res.headers['retry-after'])).toBe(120);
      // while GoHighLevel's wait lasts it is not asked again, and the answer says how long is left
      const calls = ghl.count('GET', '/calendars/');
      const block = await t.http
        .post(`/api/integrations/${id}/ghl/calendars/cal1/block-slots`)
        .set('authorization', admin)
        .send({ startTime: '2026-12-01T12:00:00Z', endTime: '2026-12-01T13:00:00Z', title: 'Lunch' });
      expect([block.status, block.body.code]).toEqual([429, 'RATE_LIMIT_EXCEEDED']);
      expect(Number(block.headers['retry-after'])).toBeGreaterThan(100);
      expect(Number(block.headers['retry-after'])).toBeLessThanOrEqual(120);
      expect(ghl.count('GET', '/calendars/') + ghl.count('POST', '/calendars/events/block-slots')).toBe(calls);
    });

    it('answers its 404 (a calendar deleted in GoHighLevel) as 404 NOT_FOUND, not a bad field', async () => {
      const { t, ghl, admin } = fx;
      const id = await ghlIntegration();
      ghl.on('GET', '/calendars/gone1/free-slots', () => ({
        status: 404,
        body: { statusCode: 404, message: 'Calendar not found' },
      }));
      const res = await t.http
        .get(`/api/integrations/${id}/ghl/calendars/gone1/free-slots?startDate=2026-12-01&endDate=2026-12-02`)
        .set('authorization', admin);
      expect([res.status, res.body.code]).toEqual([404, 'NOT_FOUND']);
      expect(res.body.message).toContain('GoHighLevel');
      // a 401 stays a refused token, a 422 a refused request
      ghl.on('GET', '/calendars/', () => ({ status: 401, body: { statusCode: 401, message: 'Invalid token' } }));
      const refused = await t.http.get(`/api/integrations/${id}/ghl/calendars`).set('authorization', admin);
      expect([refused.status, refused.body.code]).toEqual([422, 'INVALID_CREDENTIALS']);
      ghl.on('POST', '/calendars/events/block-slots', () => ({
        status: 422,
        body: { statusCode: 422, message: ['startTime is in the past'] },
      }));
      const bad = await t.http
        .post(`/api/integrations/${id}/ghl/calendars/cal1/block-slots`)
        .set('authorization', admin)
        .send({ startTime: '2026-12-01T12:00:00Z', endTime: '2026-12-01T13:00:00Z', title: 'Lunch' });
      expect([bad.status, bad.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    });
  });
});
