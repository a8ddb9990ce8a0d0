// Google Analytics runReport traffic sync against a fake that answers as the Data API documents it.
import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runReportEndpoint, TrafficRow } from '../../../test/support/fake-google-analytics';
import { FakeServer } from '../../../test/support/fake-server';
import { handlerContext } from '../../../test/support/handler-context';
import type { SyncPage } from '../handler-types';
import { REPORT_PAGE_SIZE, TRAFFIC_DIMENSIONS, TRAFFIC_METRICS, trafficOf } from './ga-report';
import { GoogleAnalyticsHandler } from './google-analytics.handler';

const handler = new GoogleAnalyticsHandler();
const NOW = new Date('2026-11-30T12:00:00Z');
const PROPERTY = '123456789';
const TOKEN = 'ya29.fake-access-token';
const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = (k: KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('Google Analytics that returns data (issue 10 point 11)', () => {
  let server: FakeServer;
  let rows: TrafficRow[] = [];
  const row = (date: string, campaign: string, sessions: number): TrafficRow => ({
    date,
    sessionSource: 'facebook',
    sessionMedium: 'paid_social',
    sessionCampaignName: campaign,
    sessionCampaignId: '120226305854810726',
    sessions,
    engagedSessions: Math.floor(sessions / 2),
    keyEvents: 1,
  });
  const ctx = () =>
    handlerContext(
      {
        propertyId: PROPERTY,
        serviceAccountKey: JSON.stringify({
          client_email: 'reader@demo.iam.gserviceaccount.com',
          private_key: pem(key.privateKey),
          token_uri: `${server.url}/token`,
        }),
      },
      { googleAnalyticsApi: server.url },
      { now: NOW },
    );

  beforeAll(async () => {
    server = await FakeServer.start();
  });
  beforeEach(() => {
    server
      .on('POST', '/token', () => ({
        status: 200,
        body: { access_token: TOKEN, expires_in: 3599, token_type: 'Bearer' },
      }))
      .on(
        'POST',
        `/v1beta/properties/${PROPERTY}:runReport`,
        runReportEndpoint({ propertyId: PROPERTY, token: TOKEN, today: '2026-11-30', rows: () => rows }),
      );
  });
  afterEach(() => server.reset());
  afterAll(() => server.close());

  it('reads the documented response shape, keeping fractional key events and GA placeholders', () => {
    const report = JSON.parse(
      readFileSync(join(__dirname, 'fixtures', 'run-report.traffic.written-for-spec.json'), 'utf8'),
    ) as {
      rows: unknown[];
    };
    expect(report.rows.map(trafficOf)).toEqual([
      {
        platform: 'google-analytics',
        day: '2026-11-28',
        source: 'facebook',
        medium: 'paid_social',
        campaignName: 'winter-boilers-2026',
        campaignId: '120226305854810726',
        sessions: 412,
        engagedSessions: 287,
        keyEvents: 19,
      },
      expect.objectContaining({ source: '(direct)', medium: '(none)', campaignId: '(not set)', keyEvents: 2.5 }),
    ]);
    expect(trafficOf({ dimensionValues: [{ value: 'yesterday' }] })).toBeUndefined();
  });

  it('asks runReport for sessions, engaged sessions and key events by day, source, medium and campaign', async () => {
    rows = [row('2026-11-28', 'winter', 40), row('2026-11-29', 'winter', 60), row('2026-10-01', 'old', 5)];
    const page = await handler.syncData(ctx(), null);
    expect(page.traffic?.map((t) => [t.day, t.campaignName, t.sessions])).toEqual([
      ['2026-11-28', 'winter', 40],
      ['2026-11-29', 'winter', 60],
    ]);
    expect(page).toMatchObject({ nextCursor: null, nextRunCursor: JSON.stringify({ lastDay: '2026-11-29' }) });
    const report = server.requests.find((r) => r.path.endsWith(':runReport'));
    expect(report?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(report?.body).toEqual({
      dateRanges: [{ startDate: '30daysAgo', endDate: 'today' }],
      dimensions: TRAFFIC_DIMENSIONS.map((name) => ({ name })),
      metrics: TRAFFIC_METRICS.map((name) => ({ name })),
      orderBys: [{ dimension: { dimensionName: 'date' } }],
      limit: '10000',
      offset: '0',
    });
    expect(TRAFFIC_METRICS).toContain('keyEvents');
  });

  it('pages with offset, then re-reads the last few days on the next run', async () => {
    rows = Array.from({ length: REPORT_PAGE_SIZE + 5 }, (_, i) => row('2026-11-29', `c${i}`, 1));
    const pages: SyncPage[] = [];
    let cursor: string | null = null;
    do {
      const page: SyncPage = await handler.syncData(ctx(), cursor);
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(pages.map((p) => p.fetched)).toEqual([REPORT_PAGE_SIZE, 5]);
    const next = pages[1].nextRunCursor ?? null;
    expect(next).toBe(JSON.stringify({ lastDay: '2026-11-29' }));
    server.requests.length = 0;
    rows = [row('2026-11-26', 'again', 3), row('2026-11-30', 'new', 7)];
    const later = await handler.syncData(ctx(), next);
    expect(later.traffic?.map((t) => t.day)).toEqual(['2026-11-26', '2026-11-30']);
    expect(
      (server.requests.find((r) => r.path.endsWith(':runReport'))?.body as { dateRanges: unknown }).dateRanges,
    ).toEqual([{ startDate: '2026-11-26', endDate: 'today' }]);
  });

  it('reports a refused key as an auth failure and a refused property as the provider said', async () => {
    server.on('POST', '/token', () => ({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' },
    }));
    await expect(handler.syncData(ctx(), null)).rejects.toMatchObject({ name: 'OutboundError', kind: 'auth' });
    server.reset();
    server.on('POST', '/token', () => ({ status: 200, body: { access_token: 'ya29.other' } }));
    server.on(
      'POST',
      `/v1beta/properties/${PROPERTY}:runReport`,
      runReportEndpoint({ propertyId: PROPERTY, token: TOKEN, today: '2026-11-30', rows: () => rows }),
    );
    await expect(handler.syncData(ctx(), null)).rejects.toMatchObject({ kind: 'auth', status: 401 });
    await expect(handler.syncData(ctx(), '{"startDate":1}')).rejects.toThrow('unreadable sync cursor');
  });
});
