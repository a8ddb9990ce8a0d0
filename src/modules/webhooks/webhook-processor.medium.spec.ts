import { createMediumApp, MediumApp, seedIntegration } from '../../../test/support/medium-app';
import { WebhookEventsRepository } from './webhook-events.repository';
import { WebhookProcessor } from './webhook-processor';

describe('WebhookProcessor: an event whose attempts never finished', () => {
  let m: MediumApp;
  let ids: { subAccountId: number; integrationId: number };

  beforeAll(async () => {
    m = await createMediumApp({ WEBHOOK_MAX_ATTEMPTS: '3' });
    ids = await seedIntegration(m.sql);
    await m.sql.query(
      `UPDATE integrations SET config = '{"externalIdPointer": "/key", "mapping": {"email": "/email"}}' WHERE id = $1`,
      [ids.integrationId],
    );
  });
  afterAll(async () => {
    await m.close();
  });

  /** An event left PROCESSING by `died` claims whose workers stopped before recording anything. */
  const abandoned = async (key: string, died: number): Promise<bigint> => {
    const stored = await m.app.get(WebhookEventsRepository).insertWithJob({
      integrationId: ids.integrationId,
      subAccountId: ids.subAccountId,
      provider: 'generic-webhook',
      dedupKey: `id:${key}`,
      externalId: key,
      eventType: 'lead',
      payload: { key, email: `${key}@example.org` },
    });
    await m.sql.query("UPDATE webhook_events SET status = 'PROCESSING', attempts = $2 WHERE id = $1", [
      stored.id,
      died,
    ]);
    return BigInt(stored.id);
  };
  const row = async (id: bigint): Promise<{ status: string; attempts: number; last_error: string | null }> =>
    (await m.sql.query('SELECT status, attempts, last_error FROM webhook_events WHERE id = $1', [id.toString()]))
      .rows[0];
  const leads = async (key: string): Promise<number> =>
    (await m.sql.query('SELECT count(*)::int AS n FROM leads WHERE email = $1', [`${key}@example.org`])).rows[0].n;

  it('is FAILED and replayable once more attempts began than WEBHOOK_MAX_ATTEMPTS allows, and is not processed', async () => {
    const id = await abandoned('gave-up', 3);
    await m.app.get(WebhookProcessor).process({ eventId: id });
    expect(await row(id)).toEqual({
      status: 'FAILED',
      attempts: 4,
      last_error: 'Processing did not finish in 3 attempts (the worker running it stopped or timed out each time)',
    });
    expect(await leads('gave-up')).toBe(0);
    expect(await m.app.get(WebhookEventsRepository).reopenForReplay(id)).toBe(true);
  });

  it('is processed as usual while attempts remain', async () => {
    const id = await abandoned('one-more', 2);
    await m.app.get(WebhookProcessor).process({ eventId: id });
    expect(await row(id)).toEqual({ status: 'PROCESSED', attempts: 3, last_error: null });
    expect(await leads('one-more')).toBe(1);
  });
});
