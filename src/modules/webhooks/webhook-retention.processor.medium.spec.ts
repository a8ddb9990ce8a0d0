import type { AppConfig } from '../../config/app-config';
import type { JobsService } from '../../jobs/jobs.service';
import { createMediumApp, MediumApp, seedIntegration } from '../../../test/support/medium-app';
import { WebhookEventsRepository } from './webhook-events.repository';
import { WebhookRetentionProcessor } from './webhook-retention.processor';

const DAY = 86_400_000;

describe('webhook event retention (WebhookRetentionProcessor)', () => {
  let m: MediumApp;
  let processor: WebhookRetentionProcessor;
  const now = Date.now();
  const ago = (days: number): Date => new Date(now - days * DAY);

  /** Stores `count` events of one integration as they would be after processing (or not). */
  const stored = async (
    target: { subAccountId: number; integrationId: number },
    key: string,
    count: number,
    status: 'PENDING' | 'PROCESSING' | 'PROCESSED' | 'FAILED',
    receivedAt: Date,
    processedAt: Date | null,
  ): Promise<void> => {
    await m.sql.query(
      `INSERT INTO webhook_events (integration_id, sub_account_id, provider, dedup_key, external_id, event_type,
         status, payload, received_at, processed_at)
       SELECT $1, $2, 'generic-webhook', $3 || i, $3 || i, 'lead', $4::"WebhookEventStatus",
              jsonb_build_object('n', i), $5, $6
       FROM generate_series(1, $7) AS i`,
      [target.integrationId, target.subAccountId, `${key}-`, status, receivedAt, processedAt, count],
    );
  };
  const keys = async (integrationId: number): Promise<string[]> =>
    (
      await m.sql.query<{ k: string }>(
        "SELECT regexp_replace(dedup_key, '-[0-9]+$', '') AS k, count(*)::int AS n FROM webhook_events WHERE integration_id = $1 GROUP BY 1 ORDER BY 1",
        [integrationId],
      )
    ).rows.map((r) => r.k);
  const count = async (integrationId: number): Promise<number> =>
    (
      await m.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM webhook_events WHERE integration_id = $1', [
        integrationId,
      ])
    ).rows[0].n;

  beforeAll(async () => {
    m = await createMediumApp();
    processor = m.app.get(WebhookRetentionProcessor);
  });
  afterAll(async () => {
    await m.close();
  });

  it('deletes the PROCESSED events finished before the cutoff, of every integration, in batches; keeps the rest', async () => {
    const a = await seedIntegration(m.sql);
    const b = await seedIntegration(m.sql);
    await stored(a, 'old-done', 12, 'PROCESSED', ago(40), ago(40));
    await stored(b, 'old-done', 3, 'PROCESSED', ago(35), ago(35));
    // received before the cutoff but finished after it (a late retry): kept until it is old too
    await stored(a, 'late-done', 2, 'PROCESSED', ago(31), ago(29));
    await stored(a, 'old-failed', 2, 'FAILED', ago(40), null);
    await stored(a, 'old-pending', 1, 'PENDING', ago(40), null);
    await stored(b, 'old-processing', 1, 'PROCESSING', ago(40), null);
    await stored(a, 'recent-done', 2, 'PROCESSED', ago(1), ago(1));
    await m.sql.query(
      `INSERT INTO webhook_rejections (integration_id, hour, count) VALUES
         ($1, date_trunc('hour', now() - interval '40 days'), 4), ($1, date_trunc('hour', now()), 1)`,
      [a.integrationId],
    );

    // an edit held 40 days for a message that never came goes; a recent one stays
    await m.sql.query(
      `INSERT INTO messaging_held_actions (integration_id, mid, kind, contact_key, payload, at, created_at) VALUES
         ($1, 'm_old', 'edit', 'p1', '{"text":"x","count":1}', now(), now() - interval '40 days'),
         ($1, 'm_new', 'edit', 'p1', '{"text":"y","count":1}', now(), now() - interval '1 day')`,
      [a.integrationId],
    );

    // 5 per statement: integration a's twelve take three statements
    const result = await processor.prune(ago(30), 5);
    expect(result).toEqual({ before: ago(30), events: 15, rejections: 1, heldActions: 1 });
    const held = await m.sql.query('SELECT mid FROM messaging_held_actions WHERE integration_id = $1', [
      a.integrationId,
    ]);
    expect(held.rows).toEqual([{ mid: 'm_new' }]);
    expect(await keys(a.integrationId)).toEqual(['late-done', 'old-failed', 'old-pending', 'recent-done']);
    expect(await keys(b.integrationId)).toEqual(['old-processing']);
    const hours = await m.sql.query('SELECT count FROM webhook_rejections WHERE integration_id = $1', [
      a.integrationId,
    ]);
    expect(hours.rows).toEqual([{ count: 1 }]);

    // what is gone stays gone: a second run finds nothing
    expect(await processor.prune(ago(30), 5)).toEqual({ before: ago(30), events: 0, rejections: 0, heldActions: 0 });
    expect(await count(a.integrationId)).toBe(7);
  });

  it('lets a redelivery of a pruned event be stored again', async () => {
    const c = await seedIntegration(m.sql);
    await stored(c, 'again', 1, 'PROCESSED', ago(60), ago(60));
    await processor.prune(ago(30));
    const repository = m.app.get(WebhookEventsRepository);
    const again = await repository.insertWithJob({
      integrationId: c.integrationId,
      subAccountId: c.subAccountId,
      provider: 'generic-webhook',
      dedupKey: 'again-1',
      externalId: 'again-1',
      eventType: 'lead',
      payload: { n: 1 },
    });
    expect(again.created).toBe(true);
  });

  describe('schedule (on processes that run jobs)', () => {
    const calls: string[] = [];
    const jobs = {
      schedule: async (name: string, cron: string) => void calls.push(`schedule ${name} ${cron}`),
      unschedule: async (name: string) => void calls.push(`unschedule ${name}`),
    } as unknown as JobsService;
    const processorWith = (role: AppConfig['role'], retentionDays: number): WebhookRetentionProcessor =>
      new WebhookRetentionProcessor(
        { role, webhooks: { retentionDays } } as AppConfig,
        m.app.get(WebhookEventsRepository),
        jobs,
      );
    beforeEach(() => calls.splice(0));

    it('prunes hourly on a worker, never schedules from an API process, and stops when retention is 0', async () => {
      await processorWith('worker', 30).onApplicationBootstrap();
      await processorWith('all', 30).onApplicationBootstrap();
      await processorWith('api', 30).onApplicationBootstrap();
      await processorWith('worker', 0).onApplicationBootstrap();
      expect(calls).toEqual([
        'schedule webhook-events-prune 41 * * * *',
        'schedule webhook-events-prune 41 * * * *',
        'unschedule webhook-events-prune',
      ]);
    });
  });
});
