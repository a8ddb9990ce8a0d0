import { createMediumApp, MediumApp, seedIntegration } from '../../../test/support/medium-app';
import { WebhookEventsRepository } from './webhook-events.repository';
import { MAX_BUSY_RETRIES, WebhookProcessor } from './webhook-processor';

type Ids = { subAccountId: number; integrationId: number };

/** The application's providers with one generic-webhook integration whose events are leads by `/email`. */
async function leadApp(env: Record<string, string>): Promise<{ m: MediumApp; ids: Ids }> {
  const m = await createMediumApp(env);
  const ids = await seedIntegration(m.sql);
  await m.sql.query(
    `UPDATE integrations SET config = '{"externalIdPointer": "/key", "mapping": {"email": "/email"}}' WHERE id = $1`,
    [ids.integrationId],
  );
  return { m, ids };
}

/** A stored lead event of that integration (with its job), `key`@example.org. */
async function storeLead(m: MediumApp, ids: Ids, key: string): Promise<bigint> {
  const stored = await m.app.get(WebhookEventsRepository).insertWithJob({
    integrationId: ids.integrationId,
    subAccountId: ids.subAccountId,
    provider: 'generic-webhook',
    dedupKey: `id:${key}`,
    externalId: key,
    eventType: 'lead',
    payload: { key, email: `${key}@example.org` },
  });
  return BigInt(stored.id);
}

describe('WebhookProcessor: an event whose attempts never finished', () => {
  let m: MediumApp;
  let ids: Ids;

  beforeAll(async () => {
    ({ m, ids } = await leadApp({ WEBHOOK_MAX_ATTEMPTS: '3' }));
  });
  afterAll(async () => {
    await m.close();
  });

  /** An event left PROCESSING by `died` claims whose workers stopped before recording anything. */
  const abandoned = async (key: string, died: number): Promise<bigint> => {
    const id = await storeLead(m, ids, key);
    await m.sql.query("UPDATE webhook_events SET status = 'PROCESSING', attempts = $2 WHERE id = $1", [
      id.toString(),
      died,
    ]);
    return id;
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

describe('WebhookProcessor: a big delivery whose expansion fails', () => {
  let m: MediumApp;
  let ids: { subAccountId: number; integrationId: number };

  beforeAll(async () => {
    m = await createMediumApp({ WEBHOOK_MAX_ATTEMPTS: '3' });
    ids = await seedIntegration(m.sql);
    // the first insert of an expanded event fails as a full disk or a killed statement would (a
    // sequence is not rolled back with the statement, so only the first attempt fails)
    await m.sql.query(`
      CREATE SEQUENCE expand_failures;
      CREATE FUNCTION fail_first_expansion() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- nested: SQL does not promise to evaluate AND's operands in order
        IF NEW.external_id LIKE 'expand-%' THEN
          IF nextval('expand_failures') = 1 THEN
            RAISE EXCEPTION 'could not extend file: No space left on device';
          END IF;
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER fail_first_expansion BEFORE INSERT ON webhook_events
        FOR EACH ROW EXECUTE FUNCTION fail_first_expansion();`);
  });
  afterAll(async () => {
    await m?.sql.query('DROP TRIGGER IF EXISTS fail_first_expansion ON webhook_events').catch(() => undefined);
    await m?.close();
  });

  it('waits for its retry (PENDING, the error kept), not PROCESSING until its lease ends; the retry expands it once', async () => {
    const events = ['expand-1', 'expand-2'].map((key) => ({
      externalId: key,
      eventType: 'lead',
      payload: { key },
    }));
    const batch = await m.app.get(WebhookEventsRepository).insertWithJob({
      integrationId: ids.integrationId,
      subAccountId: ids.subAccountId,
      provider: 'generic-webhook',
      dedupKey: 'batch:expansion-fails',
      externalId: null,
      eventType: 'delivery.batch',
      payload: { events },
    });
    const id = BigInt(batch.id);
    const row = async () =>
      (
        await m.sql.query(
          'SELECT status, attempts, last_error, next_attempt_at IS NOT NULL AS waits FROM webhook_events WHERE id = $1',
          [batch.id],
        )
      ).rows[0];
    const expanded = async (): Promise<number> =>
      (await m.sql.query("SELECT count(*)::int AS n FROM webhook_events WHERE external_id LIKE 'expand-%'")).rows[0].n;

    await m.app.get(WebhookProcessor).process({ eventId: id });
    expect(await row()).toEqual({
      status: 'PENDING',
      attempts: 1,
      last_error: expect.stringContaining('No space left on device'),
      waits: true,
    });
    expect(await expanded()).toBe(0);
    const retryJobs = await m.sql.query(
      "SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'webhook-process' AND data->>'eventId' = $1 AND start_after > now()",
      [batch.id],
    );
    expect(retryJobs.rows[0].n).toBe(1);
    // its retry, when due (the job queued with it): every event once, the batch done
    await m.sql.query('UPDATE webhook_events SET next_attempt_at = now() WHERE id = $1', [batch.id]);
    await m.app.get(WebhookProcessor).process({ eventId: id });
    expect(await row()).toMatchObject({ status: 'PROCESSED', attempts: 2 });
    expect(await expanded()).toBe(2);
    await m.app.get(WebhookProcessor).process({ eventId: id });
    expect(await expanded()).toBe(2);
  });
});

describe('WebhookProcessor: an event that meets a busy database', () => {
  const RETRY_UNIT_MS = 60_000;
  // long enough that no pause of a busy machine runs a wait out before it is read
  const BUSY_RETRY_MS = 5000;
  let m: MediumApp;
  let ids: Ids;

  beforeAll(async () => {
    ({ m, ids } = await leadApp({
      WEBHOOK_MAX_ATTEMPTS: '3',
      WEBHOOK_RETRY_UNIT_MS: String(RETRY_UNIT_MS),
      WEBHOOK_BUSY_RETRY_MS: String(BUSY_RETRY_MS),
    }));
    // the lead write fails with the SQLSTATE set here, as PostgreSQL fails a deadlock's victim (40P01)
    // or a statement on a server shutting down (57P01); nothing while it is null
    await m.sql.query(`
      CREATE TABLE busy_control (sqlstate text);
      INSERT INTO busy_control VALUES (NULL);
      CREATE FUNCTION busy_lead_write() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE state text := (SELECT sqlstate FROM busy_control);
      BEGIN
        IF state IS NOT NULL THEN
          RAISE EXCEPTION 'raised as %', state USING ERRCODE = state;
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER busy_lead_write BEFORE INSERT ON leads FOR EACH ROW EXECUTE FUNCTION busy_lead_write();`);
  });
  afterAll(async () => {
    await m?.sql.query('DROP TRIGGER IF EXISTS busy_lead_write ON leads').catch(() => undefined);
    await m?.close();
  });

  const failWith = (sqlstate: string | null) => m.sql.query('UPDATE busy_control SET sqlstate = $1', [sqlstate]);
  const stored = (key: string): Promise<bigint> => storeLead(m, ids, key);
  /** The event, and when its next attempt is due, in ms from PostgreSQL's now(). */
  const row = async (id: bigint) =>
    (
      await m.sql.query(
        `SELECT status, attempts, last_error,
           (extract(epoch FROM next_attempt_at - now()) * 1000)::int AS due_in_ms
         FROM webhook_events WHERE id = $1`,
        [id.toString()],
      )
    ).rows[0] as { status: string; attempts: number; last_error: string | null; due_in_ms: number | null };
  /** The retry jobs queued for the event (not the one the insert queued), their payloads and start. */
  const retries = async (id: bigint) =>
    (
      await m.sql.query(
        `SELECT data, (extract(epoch FROM start_after - now()) * 1000)::int AS starts_in_ms FROM pgboss.job
         WHERE name = 'webhook-process' AND data->>'eventId' = $1 AND start_after > now() ORDER BY created_on`,
        [id.toString()],
      )
    ).rows as Array<{ data: Record<string, unknown>; starts_in_ms: number }>;
  const leads = async (key: string): Promise<number> =>
    (await m.sql.query('SELECT count(*)::int AS n FROM leads WHERE email = lower($1)', [`${key}@example.org`])).rows[0]
      .n;
  const due = (id: bigint) =>
    m.sql.query('UPDATE webhook_events SET next_attempt_at = now() WHERE id = $1', [id.toString()]);

  it.each(['40P01', '57P01', '08006'])(
    'SQLSTATE %s: runs again within a second, the attempt not counted; then it is processed once',
    async (sqlstate) => {
      const key = `busy-${sqlstate}`;
      const id = await stored(key);
      await failWith(sqlstate);
      await m.app.get(WebhookProcessor).process({ eventId: id });
      const waiting = await row(id);
      expect(waiting).toMatchObject({ status: 'PENDING', attempts: 0, last_error: `raised as ${sqlstate}` });
      expect(waiting.due_in_ms).toBeGreaterThan(0);
      expect(waiting.due_in_ms).toBeLessThanOrEqual(BUSY_RETRY_MS);
      const [job] = await retries(id);
      expect(job.data).toEqual({ eventId: id.toString(), busy: 1 });
      expect(job.starts_in_ms).toBeLessThanOrEqual(BUSY_RETRY_MS);

      // still busy on its retry: the wait doubles, still not counted
      await due(id);
      await m.app.get(WebhookProcessor).process({ eventId: id, busy: 1 });
      const again = await row(id);
      expect(again).toMatchObject({ status: 'PENDING', attempts: 0 });
      expect(again.due_in_ms).toBeGreaterThan(BUSY_RETRY_MS);
      expect(again.due_in_ms).toBeLessThanOrEqual(2 * BUSY_RETRY_MS);
      expect((await retries(id)).map((j) => j.data.busy)).toEqual([1, 2]);

      // the database is back: the retry, once due, writes the lead once
      await failWith(null);
      await due(id);
      await m.app.get(WebhookProcessor).process({ eventId: id, busy: 2 });
      expect(await row(id)).toMatchObject({ status: 'PROCESSED', attempts: 1, last_error: null });
      expect(await leads(key)).toBe(1);
    },
  );

  it('counts the failure as an attempt, with the backoff of any failure, once the database stayed busy too long', async () => {
    const id = await stored('busy-too-long');
    await failWith('40001');
    await m.app.get(WebhookProcessor).process({ eventId: id, busy: MAX_BUSY_RETRIES });
    const waiting = await row(id);
    expect(waiting).toMatchObject({ status: 'PENDING', attempts: 1, last_error: 'raised as 40001' });
    expect(waiting.due_in_ms).toBeGreaterThan(RETRY_UNIT_MS);
    expect((await retries(id)).map((j) => j.data)).toEqual([{ eventId: id.toString() }]);
    await failWith(null);
  });

  it('counts any other failure of the write (a check that failed, a full disk) as an attempt, as before', async () => {
    for (const sqlstate of ['23514', '53100']) {
      const id = await stored(`not-busy-${sqlstate}`);
      await failWith(sqlstate);
      await m.app.get(WebhookProcessor).process({ eventId: id });
      const waiting = await row(id);
      expect(waiting).toMatchObject({ status: 'PENDING', attempts: 1, last_error: `raised as ${sqlstate}` });
      expect(waiting.due_in_ms).toBeGreaterThan(RETRY_UNIT_MS);
      expect((await retries(id)).map((j) => j.data)).toEqual([{ eventId: id.toString() }]);
    }
    await failWith(null);
  });
});
