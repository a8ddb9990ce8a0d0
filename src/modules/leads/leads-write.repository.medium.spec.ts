import { TransactionRunner } from '../../database/transaction-runner';
import type { LeadInput } from '../../handlers/handler-types';
import { LeadWriterService } from './lead-writer.service';
import type { Touch } from './leads-write.repository';
import { createMediumApp, MediumApp, seedIntegration } from '../../../test/support/medium-app';

const person = (externalId: string, extra: Partial<LeadInput> = {}): LeadInput => ({
  platform: 'generic',
  externalId,
  fullName: 'Ada Lovelace',
  email: 'ada@example.org',
  source: { campaignId: 'c1' },
  ...extra,
});

describe('apply_lead (the lead write of one touch) through LeadWriterService', () => {
  let m: MediumApp;
  let writer: LeadWriterService;
  let transactions: TransactionRunner;
  let sub: number;
  let integration: number;
  const touch = (origin: string): Touch => ({ subAccountId: sub, integrationId: integration, origin });
  const count = async (table: string): Promise<number> =>
    (await m.sql.query(`SELECT count(*)::int AS n FROM ${table} WHERE sub_account_id = $1`, [sub])).rows[0].n;

  beforeAll(async () => {
    m = await createMediumApp();
    writer = m.app.get(LeadWriterService);
    transactions = m.app.get(TransactionRunner);
    ({ subAccountId: sub, integrationId: integration } = await seedIntegration(m.sql));
  });
  afterAll(async () => {
    await m.close();
  });

  it('creates a lead, and the same touch applied again changes nothing', async () => {
    const first = await writer.upsert(touch('event:1'), person('L1'));
    expect(first).toEqual({ leadId: expect.any(BigInt), created: true, newTouch: true });
    const again = await writer.upsert(touch('event:1'), person('L1'));
    expect(again).toEqual({ leadId: first.leadId, created: false, newTouch: false });
    expect([await count('leads'), await count('lead_sources')]).toEqual([1, 1]);
  });

  it('merges another platform’s touch of the same person by e-mail, and by E.164 phone', async () => {
    const byEmail = await writer.upsert(touch('event:2'), person('X9', { platform: 'meta', fullName: 'Ada L.' }));
    const [lead] = (await m.sql.query('SELECT id FROM leads WHERE sub_account_id = $1', [sub])).rows;
    expect(byEmail).toEqual({ leadId: BigInt(lead.id), created: false, newTouch: true });
    // the same person with a phone as well: merged by e-mail, and the phone now names the lead too
    await writer.upsert(touch('event:3'), person('P1', { phone: '(415) 555-2671' }));
    const byPhone = await writer.upsert(
      touch('event:4'),
      person('P2', { platform: 'linkedin', email: undefined, phone: '+1 415 555 2671' }),
    );
    expect(byPhone).toEqual({ leadId: BigInt(lead.id), created: false, newTouch: true });
    expect(await count('leads')).toBe(1);
    expect(await count('lead_sources')).toBe(4);
  });

  it('converges concurrent deliveries of one new person (each in its own transaction) on one lead', async () => {
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        transactions.runSql(() =>
          writer.upsert(touch(`event:c${i}`), person(`C${i}`, { email: 'grace@example.org', fullName: 'Grace' })),
        ),
      ),
    );
    expect(new Set(results.map((r) => r.leadId)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const sources = await m.sql.query('SELECT count(*)::int AS n FROM lead_sources WHERE lead_id = $1', [
      results[0].leadId.toString(),
    ]);
    expect(sources.rows[0].n).toBe(16);
  });

  it('merges tags in order: the lead’s as stored, then new ones in the record’s order, each once', async () => {
    const tags = async (): Promise<string[]> =>
      (await m.sql.query(`SELECT tags FROM leads WHERE sub_account_id = $1 AND email = 'tess@example.org'`, [sub]))
        .rows[0].tags;
    const contact = (origin: string, list: string[]) =>
      writer.upsert(touch(origin), person('T1', { platform: 'gohighlevel', email: 'tess@example.org', tags: list }));
    await contact('event:t1', ['vip', 'hot', 'vip']);
    expect(await tags()).toEqual(['vip', 'hot']);
    // the same tags in another order (a replay, a reordered update): nothing moves
    await contact('event:t2', ['hot', 'vip']);
    expect(await tags()).toEqual(['vip', 'hot']);
    await contact('event:t3', ['new', 'hot', 'also']);
    expect(await tags()).toEqual(['vip', 'hot', 'new', 'also']);
  });

  it('lets an older record only fill what the lead lacks: a late delivery never undoes a newer one', async () => {
    const lead = async (email: string) =>
      (
        await m.sql.query(
          `SELECT full_name, email, phone, city, company, tags, custom_answers, fields_as_of FROM leads
            WHERE sub_account_id = $1 AND email = $2`,
          [sub, email],
        )
      ).rows[0];
    const contact = (extra: Partial<LeadInput>): LeadInput =>
      person('G1', { platform: 'gohighlevel', email: 'olga@example.org', ...extra });
    // the contact as it is now (a ContactUpdate, as of 12:00), then its ContactCreate (as of 10:00) late
    await writer.upsert(
      touch('event:o2'),
      contact({
        fullName: 'Olga Newer',
        city: 'Porto',
        tags: ['b'],
        customAnswers: { q: 'new' },
        observedAt: '2026-11-02T12:00:00Z',
      }),
    );
    await writer.upsert(
      touch('event:o1'),
      contact({
        fullName: 'Olga Older',
        city: 'Lisbon',
        company: 'Acme',
        phone: '+1 415 555 0199',
        tags: ['a'],
        customAnswers: { q: 'old', other: 'x' },
        observedAt: '2026-11-02T10:00:00Z',
      }),
    );
    expect(await lead('olga@example.org')).toEqual({
      full_name: 'Olga Newer',
      email: 'olga@example.org',
      phone: '+14155550199', // it had none: filled
      city: 'Porto',
      company: 'Acme', // it had none: filled
      tags: ['b', 'a'], // the lead's own first, then what it lacked
      custom_answers: { q: 'new', other: 'x' },
      fields_as_of: new Date('2026-11-02T12:00:00Z'),
    });
    // a record newer still replaces, as every record did before; one without a time (submittedAt
    // neither) is as of now, so newer than both
    await writer.upsert(touch('event:o3'), contact({ city: 'Braga', observedAt: '2026-11-02T13:00:00Z' }));
    expect((await lead('olga@example.org')).city).toBe('Braga');
    await writer.upsert(touch('event:o4'), contact({ city: 'Faro' }));
    expect((await lead('olga@example.org')).city).toBe('Faro');
    // submittedAt stands in when a record has no observedAt: a form submitted earlier, delivered later
    await writer.upsert(
      touch('event:s2'),
      person('S2', { email: 'sam@example.org', city: 'Oslo', submittedAt: '2026-11-03T09:00:00Z' }),
    );
    await writer.upsert(
      touch('event:s1'),
      person('S1', { email: 'sam@example.org', city: 'Bergen', submittedAt: '2026-11-03T08:00:00Z' }),
    );
    expect((await lead('sam@example.org')).city).toBe('Oslo');
  });

  it('applies a record as of the same instant as the lead’s fields over them: of two, the later applied wins', async () => {
    const city = async (email: string): Promise<string> =>
      (await m.sql.query('SELECT city FROM leads WHERE sub_account_id = $1 AND email = $2', [sub, email])).rows[0].city;
    // undated records are as of now(), their transaction's start, to the microsecond; the lead keeps its
    // fields' time to the millisecond (fields_as_of), rounded. Two in one transaction (a sync page, a
    // group commit) are the same instant, which read as older whenever now() rounded up: half the time.
    // Ten transactions, so the old comparison fails this with all but certainty.
    const people = Array.from({ length: 10 }, (_, i) => `same${i}@example.org`);
    for (const [i, email] of people.entries()) {
      await transactions.runSql(async () => {
        await writer.upsert(touch(`event:v${i}a`), person(`V${i}`, { email, city: 'First' }));
        await writer.upsert(touch(`event:v${i}b`), person(`V${i}`, { email, city: 'Second' }));
      });
    }
    const cities: string[] = [];
    for (const email of people) cities.push(await city(email)); // one client: one query at a time
    expect(cities).toEqual(people.map(() => 'Second'));
  });

  it('writes lead tables only: a webhook event is left for its processor to mark', async () => {
    const event = await m.sql.query<{ id: string }>(
      `INSERT INTO webhook_events (integration_id, sub_account_id, provider, dedup_key, event_type, payload)
       VALUES ($1, $2, 'generic-webhook', 'id:E1', 'lead', '{}') RETURNING id::text AS id`,
      [integration, sub],
    );
    const eventId = BigInt(event.rows[0].id);
    await transactions.runSql(() =>
      writer.applyOutcome({ integrationId: integration, subAccountId: sub, eventId }, { leads: [person('E1')] }),
    );
    const stored = await m.sql.query('SELECT status, processed_at FROM webhook_events WHERE id = $1', [eventId]);
    expect(stored.rows[0]).toEqual({ status: 'PENDING', processed_at: null });
    const signature = await m.sql.query("SELECT pg_get_function_arguments('apply_lead'::regproc) AS args");
    expect(signature.rows[0].args).not.toContain('p_event');
  });

  it('applies a whole outcome in one transaction: a failure part-way leaves nothing behind', async () => {
    const before = await count('lead_interactions');
    await expect(
      transactions.runSql(() =>
        writer.applyOutcome(
          { integrationId: integration, subAccountId: sub, eventId: 999n },
          {
            leads: [person('R1', { email: 'rollback@example.org' })],
            interactions: [
              { platform: 'gohighlevel', externalId: 'c-1', channel: 'sms', direction: 'inbound', body: 'hi' },
              // a NUL (text cannot hold it) fails the statement after the lead and the first interaction
              // were written; ingest refuses one in a payload, so only a bug could send it here
              {
                platform: 'gohighlevel',
                externalId: 'c-1',
                channel: 'sms',
                direction: 'inbound',
                body: 'a\u0000b',
              },
            ],
          },
        ),
      ),
    ).rejects.toThrow();
    expect(await count('lead_interactions')).toBe(before);
    expect(
      (await m.sql.query("SELECT count(*)::int AS n FROM leads WHERE email = 'rollback@example.org'")).rows[0].n,
    ).toBe(0);
  });
});
