// Facebook Ads insights: the account's days, deleted ads, async report jobs and 190/throttle classification, on an injected clock.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeReply, FakeRequest, FakeServer } from '../../../test/support/fake-server';
import { handlerContext } from '../../../test/support/handler-context';
import { FacebookAdsHandler } from './facebook-ads.handler';
import { ASYNC_RANGE_DAYS, MAX_JOB_POLLS } from './facebook-ads.insights';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf8')) as Record<string, unknown>;
const TOKEN = 'EAAG-ads-token-0a1b';
const APP_SECRET = 'ads-app-secret-9';
const config = { adAccountId: '1234567890', accessToken: TOKEN, appSecret: APP_SECRET };
const INSIGHTS = '/act_1234567890/insights';
const handler = new FacebookAdsHandler();

describe('Facebook Ads spend that adds up (issue 10 point 8)', () => {
  let server: FakeServer;
  const sleeps: number[] = [];
  /** The clock and the poll delays are injected: nothing here waits on the wall clock. */
  const ctx = (now: Date, over: Record<string, unknown> = {}) => ({
    ...handlerContext({ ...config, ...over }, { metaGraph: server.url }, { now }),
    sleep: async (ms: number) => {
      sleeps.push(ms);
    },
  });
  const account = (timezone: string) =>
    server.on('GET', '/act_1234567890', () => ({
      status: 200,
      body: { id: 'act_1234567890', timezone_name: timezone },
    }));

  beforeAll(async () => {
    server = await FakeServer.start();
  });
  afterEach(() => {
    server.reset();
    sleeps.length = 0;
  });
  afterAll(() => server.close());

  it("counts days in the ad account's time zone, and sends appsecret_proof on every call", async () => {
    account('America/Los_Angeles');
    server.on('GET', INSIGHTS, () => ({
      status: 200,
      body: fixture('insights-ad-day.deleted-ad.written-for-spec.json'),
    }));
    // 03:00 UTC on 10 March is still 9 March in Los Angeles
    const page = await handler.syncData(ctx(new Date('2026-03-10T03:00:00Z')), null);
    expect(server.requests[1].query.get('time_range')).toBe('{"since":"2026-03-03","until":"2026-03-09"}');
    expect(page.costs).toEqual([
      expect.objectContaining({ adId: '23851000000000099', day: '2026-03-09', spend: '7.10', leads: 1 }),
    ]);
    const proof = createHmac('sha256', APP_SECRET).update(TOKEN).digest('hex');
    expect(server.requests.map((r) => r.query.get('appsecret_proof'))).toEqual([proof, proof]);
    // without an app secret, no proof (Facebook Ads' appSecret is optional)
    server.requests.length = 0;
    await handler.syncData(ctx(new Date('2026-03-10T03:00:00Z'), { appSecret: undefined }), null);
    expect(server.requests.every((r) => !r.query.has('appsecret_proof'))).toBe(true);
  });

  it('counts UTC days when Meta will not tell the account time zone, but never hides a refused token', async () => {
    server.on('GET', '/act_1234567890', () => ({
      status: 400,
      body: { error: { message: '(#100) Tried accessing nonexisting field (timezone_name)', code: 100 } },
    }));
    server.on('GET', INSIGHTS, () => ({ status: 200, body: { data: [] } }));
    const context = ctx(new Date('2026-03-10T03:00:00Z'));
    await handler.syncData(context, null);
    expect(server.requests[1].query.get('time_range')).toBe('{"since":"2026-03-04","until":"2026-03-10"}');
    expect(context.logger.lines).toEqual([expect.objectContaining({ level: 'warn', obj: { status: 400 } })]);
    server.on('GET', '/act_1234567890', () => ({
      status: 400,
      body: { error: { message: 'Error validating access token', code: 190 } },
    }));
    await expect(handler.syncData(ctx(new Date('2026-03-10T03:00:00Z')), null)).rejects.toMatchObject({ kind: 'auth' });
  });

  it('a throttled account read (HTTP 400, code 17 / 80004) pauses the run instead of counting UTC days', async () => {
    // audit 20: the throttle was read as "time zone unknown", and the run pulled UTC days instead of waiting
    for (const code of [17, 80004]) {
      server.on('GET', '/act_1234567890', () => ({
        status: 400,
        body: { error: { message: '(#17) User request limit reached', type: 'OAuthException', code } },
      }));
      server.on('GET', INSIGHTS, () => ({ status: 200, body: { data: [] } }));
      await expect(handler.syncData(ctx(new Date('2026-03-10T03:00:00Z')), null)).rejects.toMatchObject({
        kind: 'rate_limited',
      });
      expect(server.count('GET', INSIGHTS)).toBe(0);
      server.reset();
    }
  });

  /** Meta's asynchronous insights: POST starts a job, GET polls it, GET …/insights reads it. */
  function reportJob(statuses: string[]): { started: FakeRequest[] } {
    const started: FakeRequest[] = [];
    server.on('POST', INSIGHTS, (req) => {
      started.push(req);
      return { status: 200, body: { report_run_id: '6241829463520' } };
    });
    let poll = 0;
    server.on('GET', '/6241829463520', (): FakeReply => {
      const status = statuses[Math.min(poll++, statuses.length - 1)];
      return {
        status: 200,
        body: {
          ...fixture('insights-report-run.job-completed.written-for-spec.json'),
          async_status: status,
          async_percent_completion: status === 'Job Completed' ? 100 : 40,
        },
      };
    });
    server.on('GET', '/6241829463520/insights', () => ({
      status: 200,
      body: fixture('insights-ad-day.deleted-ad.written-for-spec.json'),
    }));
    return { started };
  }

  it('reads a long range through an asynchronous report job, polling until it completes', async () => {
    account('UTC');
    const { started } = reportJob(['Job Not Started', 'Job Running', 'Job Completed']);
    const long = JSON.stringify({ since: '2026-02-08', until: '2026-03-09', timezone: 'UTC' });
    expect(ASYNC_RANGE_DAYS).toBeLessThan(30);
    const page = await handler.syncData(ctx(new Date('2026-03-10T09:00:00Z')), long);
    expect(page).toMatchObject({ fetched: 1, nextCursor: null });
    expect(page.costs?.[0]).toMatchObject({ adId: '23851000000000099', day: '2026-03-09' });
    expect(started).toHaveLength(1);
    expect(started[0].query.get('time_range')).toBe('{"since":"2026-02-08","until":"2026-03-09"}');
    expect(started[0].query.get('filtering')).toContain('ad.effective_status');
    expect(server.count('GET', INSIGHTS)).toBe(0);
    expect(sleeps).toEqual([2000, 2000]);
  });

  it('falls back to a report job when the synchronous call gives up (code 1: reduce the amount of data)', async () => {
    account('UTC');
    server.on('GET', INSIGHTS, () => ({
      status: 500,
      body: {
        error: { message: "Please reduce the amount of data you're asking for, then retry your request", code: 1 },
      },
    }));
    const { started } = reportJob(['Job Completed']);
    const page = await handler.syncData(ctx(new Date('2026-03-10T09:00:00Z')), null);
    expect(page.fetched).toBe(1);
    expect(started).toHaveLength(1);
  });

  it.each([
    [400, 100, 1504018],
    [500, 2, 1504038],
  ])(
    'falls back to a report job on Ads Insights "Request Timed Out" (HTTP %i, code %i, subcode %i)',
    async (status, code, subcode) => {
      // developers.facebook.com/documentation/ads-commerce/marketing-api/insights/error-codes: "Your request
      // timed out. Try a smaller date range, fetch less data, or use async jobs."
      account('UTC');
      server.on('GET', INSIGHTS, () => ({
        status,
        body: {
          error: {
            message: 'Your request timed out. Try a smaller date range, fetch less data, or use async jobs.',
            type: 'OAuthException',
            code,
            error_subcode: subcode,
            error_user_title: 'Request Timed Out',
          },
        },
      }));
      const { started } = reportJob(['Job Completed']);
      const page = await handler.syncData(ctx(new Date('2026-03-10T09:00:00Z')), null);
      expect(page).toMatchObject({
        fetched: 1,
        nextCursor: null,
        costWindow: { from: '2026-03-04', to: '2026-03-10' },
      });
      expect(started).toHaveLength(1);
      expect(started[0].query.get('time_range')).toBe('{"since":"2026-03-04","until":"2026-03-10"}');
    },
  );

  it('hands back a running job and resumes it on the next call; a failed job fails the run', async () => {
    account('UTC');
    reportJob(['Job Running']);
    const long = JSON.stringify({ since: '2026-01-01', until: '2026-03-09' });
    const running = await handler.syncData(ctx(new Date('2026-03-10T09:00:00Z')), long);
    expect(running).toMatchObject({ fetched: 0, costs: [] });
    expect(JSON.parse(running.nextCursor ?? '{}')).toMatchObject({ reportRunId: '6241829463520' });
    expect(server.count('POST', INSIGHTS)).toBe(1);

    server.reset();
    reportJob(['Job Failed']);
    await expect(handler.syncData(ctx(new Date('2026-03-10T09:00:00Z')), running.nextCursor)).rejects.toMatchObject({
      name: 'OutboundError',
      message: expect.stringContaining('Job Failed'),
    });
    // the job was not started again
    expect(server.count('POST', INSIGHTS)).toBe(0);
  });

  it('gives up on a job that never finishes (or answers no status) after MAX_JOB_POLLS polls over the calls', async () => {
    account('UTC');
    reportJob(['Job Running']);
    let cursor: string | null = JSON.stringify({ since: '2026-01-01', until: '2026-03-09' });
    let calls = 0;
    let failure: unknown;
    try {
      for (; calls < MAX_JOB_POLLS / 30 + 2; calls++) {
        const page = await handler.syncData(ctx(new Date('2026-03-10T09:00:00Z')), cursor);
        expect(page.fetched).toBe(0);
        cursor = page.nextCursor;
        if (calls === 0) {
          // from here on Meta answers no status at all: counted the same way
          server.on('GET', '/6241829463520', () => ({ status: 200, body: {} }));
        }
      }
    } catch (err) {
      failure = err;
    }
    expect(failure).toMatchObject({
      name: 'OutboundError',
      message: expect.stringContaining(`did not finish after ${MAX_JOB_POLLS} polls (30 minutes; last status: none)`),
    });
    expect(calls).toBe(MAX_JOB_POLLS / 30 - 1);
    expect(server.count('GET', '/6241829463520')).toBe(MAX_JOB_POLLS);
  });

  it('hands the pipeline an expired token (HTTP 400, code 190) as an auth failure, throttling as rate-limited', async () => {
    account('UTC');
    server.on('GET', INSIGHTS, () => ({
      status: 400,
      body: { error: { message: 'Error validating access token: Session has expired', code: 190, error_subcode: 463 } },
    }));
    await expect(handler.syncData(ctx(new Date('2026-03-10T09:00:00Z')), null)).rejects.toMatchObject({
      kind: 'auth',
      status: 400,
    });
    server.on('GET', INSIGHTS, () => ({
      status: 400,
      body: { error: { message: '(#80000) There have been too many calls from this ad-account', code: 80000 } },
    }));
    await expect(handler.syncData(ctx(new Date('2026-03-10T09:00:00Z')), null)).rejects.toMatchObject({
      kind: 'rate_limited',
      transient: true,
    });
  });
});
