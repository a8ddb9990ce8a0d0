// WebhookEventsRepository's status column against PostgreSQL: no index covers it, so a claim is a HOT update,
// and lists and counts still read every status right. The ingest batcher and claim are in
// webhook-events.repository.medium.spec.ts, markProcessedWith in
// webhook-events.repository-mark-processed.medium.spec.ts; the shared setup in test/support/webhook-events-medium.ts.
import { Client } from 'pg';
import { CLAIM } from './webhook-event-claims';
import { WebhookEventsRepository } from './webhook-events.repository';
import { MediumApp, seedIntegration } from '../../../test/support/medium-app';
import { setupWebhookEventsMedium } from '../../../test/support/webhook-events-medium';

describe('webhook ingest batcher (WebhookEventsRepository.insertWithJob)', () => {
  let m: MediumApp;
  let events: WebhookEventsRepository;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ m, events, close } = await setupWebhookEventsMedium());
  });
  afterAll(async () => {
    await close();
  });

  describe('status without a status index (the claim is a HOT update)', () => {
    const hotIds = { subAccountId: 0, integrationId: 0 };
    const stored = async (key: string, payload: unknown = { key }): Promise<bigint> =>
      BigInt(
        (
          await events.insertWithJob({
            integrationId: hotIds.integrationId,
            subAccountId: hotIds.subAccountId,
            provider: 'generic-webhook',
            dedupKey: `id:${key}`,
            externalId: key,
            eventType: 'lead',
            payload,
          })
        ).id,
      );
    beforeAll(async () => {
      Object.assign(hotIds, await seedIntegration(m.sql));
    });

    it('claims an event on a page filled by the ingest without a new index entry (HOT, in place)', async () => {
      // enough deliveries of ~300 bytes to fill the table's first pages as far as the ingest fills them
      const padding = 'x'.repeat(240);
      const ids: bigint[] = [];
      for (let i = 0; i < 80; i += 8)
        ids.push(
          ...(await Promise.all(
            Array.from({ length: 8 }, (_, j) => stored(`hot-page-${i + j}`, { n: i + j, padding })),
          )),
        );
      const first = ids.reduce((a, b) => (b < a ? b : a));
      const client = new Client({ connectionString: m.db.url });
      await client.connect();
      try {
        await client.query('BEGIN');
        const claimed = await client.query(CLAIM.text, [[first.toString()], 120]);
        expect(claimed.rowCount).toBe(1);
        const counts = await client.query<{ updated: string; hot: string }>(
          `SELECT pg_stat_get_xact_tuples_updated('webhook_events'::regclass) AS updated,
                  pg_stat_get_xact_tuples_hot_updated('webhook_events'::regclass) AS hot`,
        );
        // on a full page, or with an index on status or attempts, the update is not HOT (hot 0)
        expect(counts.rows[0]).toEqual({ updated: '1', hot: '1' });
      } finally {
        await client.query('ROLLBACK');
        await client.end();
      }
    });

    it('no index covers a column the claim changes', async () => {
      const covered = await m.sql.query<{ index: string }>(
        `SELECT DISTINCT i.indexrelid::regclass::text AS index
           FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid
          WHERE i.indrelid = 'webhook_events'::regclass AND a.attname IN ('status', 'attempts')
            AND (a.attnum = ANY (i.indkey)
                 OR pg_get_expr(i.indpred, i.indrelid) ~ a.attname
                 OR pg_get_expr(i.indexprs, i.indrelid) ~ a.attname)`,
      );
      expect(covered.rows).toEqual([]);
    });

    it('lists and counts every status right (the open index holds the unfinished and the failed)', async () => {
      const pending = await stored('st-pending');
      const processing = await stored('st-processing');
      await events.claim(processing);
      const processed = await stored('st-processed');
      await events.claim(processed);
      await events.markProcessed(processed);
      const failed = await stored('st-failed');
      await events.claim(failed);
      await events.markFailed(failed, 'boom');
      const retried = await stored('st-retried');
      await events.claim(retried);
      await events.markPendingRetry(retried, 'later', new Date(Date.now() + 60_000));
      const page = { skip: 0, take: 50 };
      const listed = async (status: 'PENDING' | 'PROCESSING' | 'PROCESSED' | 'FAILED'): Promise<bigint[]> =>
        (await events.list('all', hotIds.integrationId, status, page)).rows
          .map((r) => r.id)
          .filter((id) => [pending, processing, processed, failed, retried].includes(id))
          .sort();
      expect(await listed('PENDING')).toEqual([pending, retried].sort());
      expect(await listed('PROCESSING')).toEqual([processing]);
      expect(await listed('PROCESSED')).toEqual([processed]);
      expect(await listed('FAILED')).toEqual([failed]);
      const stats = await events.stats(hotIds.integrationId, new Date(Date.now() - 3600_000));
      expect(stats).toMatchObject({ failed: 1 });
      // the other events of this integration (the HOT test's) are PENDING too
      const open = await m.sql.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM webhook_events WHERE integration_id = $1 AND status IN ('PENDING', 'PROCESSING')",
        [hotIds.integrationId],
      );
      expect(stats.pending).toBe(open.rows[0].n);
      expect(stats.processed).toBe(1);
      // a replay puts a PROCESSED event back into the open index
      expect(await events.reopenForReplay(processed)).toBe(true);
      expect(await listed('PENDING')).toEqual([pending, processed, retried].sort());
    });

    it('refuses a PROCESSED event without processed_at, and processed_at on an unfinished one', async () => {
      const id = await stored('st-check');
      await expect(
        m.sql.query("UPDATE webhook_events SET status = 'PROCESSED' WHERE id = $1", [id.toString()]),
      ).rejects.toThrow(/webhook_events_processed_at_check/);
      await expect(
        m.sql.query('UPDATE webhook_events SET processed_at = now() WHERE id = $1', [id.toString()]),
      ).rejects.toThrow(/webhook_events_processed_at_check/);
    });
  });
});
