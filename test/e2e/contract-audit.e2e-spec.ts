// A black-box audit of API.md: statements the other contract specs leave unasked, each case a
// request and the answer API.md promises for it. Every case here failed before its fix.
import { createIntegration, createSubAccount, GHL_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { createTestApp, TestApp } from '../support/test-app';

describe('API.md contract audit', () => {
  let t: TestApp;
  let ghl: FakeServer;
  let sub: number;
  let admin: string;

  beforeAll(async () => {
    ghl = await FakeServer.start();
    t = await createTestApp({ env: { GHL_API_URL: ghl.url } });
    sub = await createSubAccount(t, 'PRO', 'Audit');
    await t.http
      .patch(`/api/sub-accounts/${sub}`)
      .set('authorization', `Bearer ${t.token('SUPER_ADMIN')}`)
      .send({ timezone: 'America/Sao_Paulo' })
      .expect(200);
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t.close();
    await ghl.close();
  });

  describe('Analytics: "`from`/`to` are local dates (`YYYY-MM-DD`, inclusive) or ISO instants"', () => {
    const queued = async (jobId: string): Promise<unknown> =>
      (await t.sql.query<{ data: unknown }>('SELECT data FROM pgboss.job WHERE id = $1', [jobId])).rows[0]?.data;

    it('a rebuild takes ISO instants and rebuilds the local days they name in the sub-account zone', async () => {
      const res = await t.http
        .post('/api/analytics/rebuild')
        .set('authorization', admin)
        .send({ subAccountId: sub, from: '2026-03-01T02:00:00Z', to: '2026-03-10T03:00:00Z' });
      expect(res.status).toBe(202);
      expect(typeof res.body.jobId).toBe('string');
      // 02:00Z on 1 March is still 28 February in São Paulo (UTC-3); the exclusive end 03:00Z is 00:00 on the 10th
      expect(await queued(res.body.jobId)).toMatchObject({ subAccountId: sub, from: '2026-02-28', to: '2026-03-09' });
    });

    it('a rebuild still takes local dates, and refuses bounds out of order or unreadable with 400', async () => {
      const dates = await t.http
        .post('/api/analytics/rebuild')
        .set('authorization', admin)
        .send({ subAccountId: sub, from: '2026-03-01', to: '2026-03-10' });
      expect(dates.status).toBe(202);
      expect(await queued(dates.body.jobId)).toMatchObject({ from: '2026-03-01', to: '2026-03-10' });
      for (const body of [
        { from: '2026-03-10T00:00:00Z', to: '2026-03-01T00:00:00Z' },
        { from: '2026-02-30' },
        { to: 'yesterday' },
        { from: '2026-03-01T10:00' },
      ]) {
        const res = await t.http
          .post('/api/analytics/rebuild')
          .set('authorization', admin)
          .send({ subAccountId: sub, ...body });
        expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      }
    });
  });

  describe('GoHighLevel passthrough: free-slots?startDate=&endDate=&timezone=', () => {
    let base: string;
    const slots = (query: string) =>
      t.http
        .get(`${base}/calendars/cal1/free-slots?${query}`)
        .set('authorization', `Bearer ${t.token('MANAGER', [sub])}`);

    beforeAll(async () => {
      base = `/api/integrations/${(await createIntegration(t, sub, 'gohighlevel', GHL_CONFIG)).id}/ghl`;
      ghl.on('GET', '/calendars/cal1/free-slots', () => ({
        status: 200,
        body: { '2026-12-01': { slots: ['2026-12-01T09:00:00-05:00'] } },
      }));
    });

    it('answers a date that does not exist 400 VALIDATION_FAILED instead of asking for the day it rolls over to', async () => {
      ghl.requests.length = 0;
      for (const query of [
        'startDate=2026-02-30&endDate=2026-03-02',
        'startDate=2026-03-01&endDate=2026-04-31',
        'startDate=2026-03-01T24:00:00Z&endDate=2026-03-02',
        'startDate=March%201%2C%202026&endDate=2026-03-02',
      ]) {
        const res = await slots(query);
        expect([query, res.status, res.body.code]).toEqual([query, 400, 'VALIDATION_FAILED']);
      }
      expect(ghl.requests).toHaveLength(0);
    });

    it('answers a time zone that is not an IANA name 400 VALIDATION_FAILED, before GoHighLevel sees it', async () => {
      ghl.requests.length = 0;
      const res = await slots('startDate=2026-12-01&endDate=2026-12-02&timezone=Mars%2FOlympus');
      expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(res.body.details).toEqual([expect.objectContaining({ field: 'timezone' })]);
      expect(ghl.requests).toHaveLength(0);
    });

    it('still takes dates, date-times with or without an offset, epoch milliseconds and an IANA zone', async () => {
      for (const query of [
        'startDate=2026-12-01&endDate=2026-12-02&timezone=America%2FNew_York',
        'startDate=2026-12-01T00:00:00Z&endDate=2026-12-02T00:00:00-05:00',
        'startDate=2026-12-01T00:00&endDate=2026-12-02T00:00:00.000',
        `startDate=${Date.parse('2026-12-01T00:00:00Z')}&endDate=${Date.parse('2026-12-02T00:00:00Z')}&timezone=UTC`,
      ]) {
        const res = await slots(query);
        expect([query, res.status]).toEqual([query, 200]);
      }
    });
  });

  describe('Leads: POST /api/leads/:id/activities { …, occurredAt? } → 201', () => {
    let leadId: string;

    beforeAll(async () => {
      const res = await t.http
        .post('/api/leads')
        .set('authorization', `Bearer ${t.token('AGENT', [sub])}`)
        .send({ subAccountId: sub, fullName: 'Ana Activity', email: 'ana.activity@example.test' });
      expect(res.status).toBe(201);
      leadId = res.body.id;
    });

    it('answers an occurredAt that is no readable instant 400 VALIDATION_FAILED, never 500', async () => {
      for (const occurredAt of ['20260301', '20260301T100000Z', '2026-W09-1', '2026-060', '2026-02-30T10:00:00Z']) {
        const res = await t.http
          .post(`/api/leads/${leadId}/activities`)
          .set('authorization', `Bearer ${t.token('AGENT', [sub])}`)
          .send({ type: 'CALL', outcome: 'ANSWERED', userId: 'agent-1', occurredAt });
        expect([occurredAt, res.status, res.body.code]).toEqual([occurredAt, 400, 'VALIDATION_FAILED']);
        expect(res.body.details).toEqual([expect.objectContaining({ field: 'occurredAt' })]);
      }
      const ok = await t.http
        .post(`/api/leads/${leadId}/activities`)
        .set('authorization', `Bearer ${t.token('AGENT', [sub])}`)
        .send({ type: 'CALL', outcome: 'ANSWERED', userId: 'agent-1', occurredAt: '2026-03-01T10:00:00-03:00' });
      expect([ok.status, ok.body.occurredAt]).toEqual([201, '2026-03-01T13:00:00.000Z']);
    });
  });

  describe('Analytics and reports: a range at either end of the calendar is never 500', () => {
    const manager = () => `Bearer ${t.token('MANAGER', [sub])}`;

    it.each([
      ['/api/whatsapp/analytics', ''],
      ['/api/analytics/attribution', ''],
      ['/api/analytics/snapshots', ''],
      ['/api/analytics/timeseries', '&metric=messagesSent'],
      ['/api/analytics/overview', '&compare=previous'],
    ])('GET %s%s from 0001-01-01 answers 400 VALIDATION_FAILED naming from', async (path, extra) => {
      const res = await t.http
        .get(`${path}?subAccountId=${sub}&from=0001-01-01&to=0001-01-31${extra}`)
        .set('authorization', manager());
      expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(res.body.details).toEqual([expect.objectContaining({ field: 'from' })]);
    });

    it('answers to=9999-12-31 in a zone west of UTC 200, not 500 (its end is in the year 10000 there)', async () => {
      const west = await createSubAccount(t, 'PRO', 'Baker Island');
      await t.http
        .patch(`/api/sub-accounts/${west}`)
        .set('authorization', `Bearer ${t.token('SUPER_ADMIN')}`)
        .send({ timezone: 'Etc/GMT+12' })
        .expect(200);
      for (const path of [
        '/api/analytics/attribution',
        '/api/analytics/timeseries?metric=messagesSent',
        '/api/whatsapp/analytics',
      ]) {
        const res = await t.http
          .get(`${path}${path.includes('?') ? '&' : '?'}subAccountId=${west}&from=9999-12-31&to=9999-12-31`)
          .set('authorization', `Bearer ${t.token('MANAGER', [west])}`);
        expect([path, res.status]).toEqual([path, 200]);
      }
    });

    it('refuses a report template whose fixed range starts in the year 1, and a rebuild from it', async () => {
      const template = await t.http
        .post('/api/report-templates')
        .set('authorization', manager())
        .send({
          subAccountId: sub,
          name: 'Since year one',
          type: 'SOURCE',
          config: {
            metrics: ['newLeads'],
            groupBy: [],
            dateRange: { from: '0001-01-01', to: '0001-12-31' },
            chartTypes: ['table'],
          },
          format: 'PDF',
        });
      expect([template.status, template.body.code]).toEqual([400, 'CONFIG_SCHEMA_INVALID']);
      expect(template.body.details).toEqual([expect.objectContaining({ pointer: '/config/dateRange/from' })]);
      const rebuild = await t.http
        .post('/api/analytics/rebuild')
        .set('authorization', admin)
        .send({ subAccountId: sub, from: '0001-01-01' });
      expect([rebuild.status, rebuild.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    });
  });

  describe('Lists: an empty query parameter (API.md writes them as `?subAccountId=&status=&templateId=`) is no filter', () => {
    let integrationId: number | undefined;

    it.each([
      ['/api/integrations?subAccountId=SUB&status=&templateId='],
      ['/api/leads?subAccountId=SUB&source=&status=&q=&createdFrom=&createdTo=&minScore=&sort='],
      ['/api/whatsapp/conversations?subAccountId=SUB&integrationId=&linked=&q='],
      ['/api/whatsapp/messages?subAccountId=SUB&leadId=&conversationId=&direction=&status=&sentBy=&from=&to='],
      ['/api/integration-templates?category=&includeInactive='],
      ['/api/reports?subAccountId=SUB&templateId='],
      ['/api/integrations/ID/events?status='],
    ])('GET %s answers 200 with the unfiltered page', async (template) => {
      integrationId ??= (await createIntegration(t, sub, 'gohighlevel', GHL_CONFIG)).id;
      const path = template.replace('SUB', String(sub)).replace('ID', String(integrationId));
      const empty = await t.http.get(path).set('authorization', admin);
      expect(empty.status).toBe(200);
      const unfiltered = await t.http
        .get(path.replace(/&?[A-Za-z]+=(?=&|$)/g, '').replace('?&', '?'))
        .set('authorization', admin);
      expect(unfiltered.status).toBe(200);
      expect(empty.body).toEqual(unfiltered.body);
    });

    it('a value that is not empty is still validated: ?status=nope is 400 VALIDATION_FAILED', async () => {
      const res = await t.http.get(`/api/integrations?subAccountId=${sub}&status=nope`).set('authorization', admin);
      expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    });

    it('a super-admin listing with ?subAccountId= sees every sub-account, as without it', async () => {
      const root = `Bearer ${t.token('SUPER_ADMIN')}`;
      const empty = await t.http.get('/api/integrations?subAccountId=&status=').set('authorization', root);
      const bare = await t.http.get('/api/integrations').set('authorization', root);
      expect([empty.status, empty.body.total]).toEqual([200, bare.body.total]);
    });
  });
});
