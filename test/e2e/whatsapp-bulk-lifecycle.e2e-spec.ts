// The whatsapp-bulk spec's lifecycle tests (issue 12 points 5 and 8): skip reasons, the 24-hour window,
// pause, resume and cancel over HTTP. The contract's validation, codes, roles and tenant isolation are in
// whatsapp-bulk-contract.e2e-spec.ts; the shared setup in test/support/whatsapp-bulk-setup.ts.
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';
import { digits, setupWhatsAppBulk, WhatsAppBulkFixture } from '../support/whatsapp-bulk-setup';
import { BulkSetup, getBulk, phoneOf, seedLead, seedLeads } from '../support/whatsapp-bulk';

describe('WhatsApp bulk sends', () => {
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let a: BulkSetup;
  let auth: WhatsAppBulkFixture['auth'];
  let sentTo: WhatsAppBulkFixture['sentTo'];
  let completed: WhatsAppBulkFixture['completed'];
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ t, fake, a, auth, sentTo, completed, close } = await setupWhatsAppBulk());
  });
  afterAll(() => close());

  it('skips recipients without a phone, duplicates and opted-out ones, with their reasons', async () => {
    const ok = await seedLead(t.sql, a.subAccountId, phoneOf(9_000_001), 'Ana');
    const none = await seedLead(t.sql, a.subAccountId, null, 'Nophone');
    const invalid = await seedLead(t.sql, a.subAccountId, 'not a phone', 'Bad');
    // the same number written another way (and Brazil's ninth digit left out)
    const twin = await seedLead(t.sql, a.subAccountId, '+55 11 8900-0001', 'Twin');
    const stop = await seedLead(t.sql, a.subAccountId, phoneOf(9_000_002), 'Stop');
    const marketingOnly = await seedLead(t.sql, a.subAccountId, phoneOf(9_000_003), 'Utility');
    await t.sql.query(
      `INSERT INTO whatsapp_opt_outs (sub_account_id, phone, scope, source, updated_at)
       VALUES ($1, $2, 'all', 'keyword', now()), ($1, $3, 'marketing', 'user_preferences', now())`,
      [a.subAccountId, phoneOf(9_000_002), phoneOf(9_000_003)],
    );
    const res = await t.http
      .post('/api/whatsapp/bulk')
      .set('authorization', auth(a.subAccountId))
      .send({
        subAccountId: a.subAccountId,
        leadIds: [ok, none, invalid, twin, stop, marketingOnly],
        template: { id: a.templateId },
        parameters: { '1': '{{lead.firstName}}' },
      });
    expect(res.status).toBe(202);
    // the template is UTILITY: a marketing opt-out still receives it
    expect(res.body).toMatchObject({
      status: 'queued',
      recipients: 2,
      skipped: { noPhone: 2, optedOut: 1, duplicatePhone: 1, windowClosed: 0 },
    });
    const done = await completed(a.subAccountId, res.body.id);
    expect(done.counts).toMatchObject({ total: 6, pending: 0, sent: 2, skipped: 4, failed: 0, unknown: 0 });
    expect(
      sentTo([phoneOf(9_000_001), phoneOf(9_000_003)])
        .map((s) => s.to)
        .sort(),
    ).toEqual([phoneOf(9_000_001), phoneOf(9_000_003)]);
    expect(sentTo([phoneOf(9_000_002)])).toHaveLength(0);
    const skipped = await t.http
      .get(`/api/whatsapp/bulk/${res.body.id}/recipients?status=skipped`)
      .set('authorization', auth(a.subAccountId));
    expect(skipped.status).toBe(200);
    expect(skipped.body.total).toBe(4);
    const reasons = Object.fromEntries(
      (skipped.body.items as Array<{ leadId: string; skipReason: string }>).map((i) => [i.leadId, i.skipReason]),
    );
    expect(reasons).toEqual({ [none]: 'noPhone', [invalid]: 'noPhone', [twin]: 'duplicatePhone', [stop]: 'optedOut' });
    // recipients speak the counts' words: accepted by WhatsApp (no status webhook yet) is `sent`, as counts.sent says
    const sent = await t.http
      .get(`/api/whatsapp/bulk/${res.body.id}/recipients?status=sent`)
      .set('authorization', auth(a.subAccountId));
    expect(sent.body.total).toBe(2);
    expect(sent.body.items[0]).toMatchObject({
      status: 'sent',
      wamid: expect.stringMatching(/^wamid\./),
      error: null,
    });
    const all = await t.http
      .get(`/api/whatsapp/bulk/${res.body.id}/recipients`)
      .set('authorization', auth(a.subAccountId));
    expect((all.body.items as Array<{ status: string }>).map((i) => i.status).sort()).toEqual([
      'sent',
      'sent',
      'skipped',
      'skipped',
      'skipped',
      'skipped',
    ]);
  });

  it('free text goes only to contacts whose 24-hour window is open', async () => {
    const open = await seedLead(t.sql, a.subAccountId, phoneOf(9_100_001), 'Open');
    const stale = await seedLead(t.sql, a.subAccountId, phoneOf(9_100_002), 'Stale');
    const never = await seedLead(t.sql, a.subAccountId, phoneOf(9_100_003), 'Never');
    await t.sql.query(
      `INSERT INTO conversations (sub_account_id, integration_id, contact_key, wa_id, phone, phone_normalized, last_inbound_at, updated_at)
       VALUES ($1, $2, $3, $3, $4, $4, now() - interval '1 hour', now()),
              ($1, $2, $5, $5, $6, $6, now() - interval '30 hours', now())`,
      [
        a.subAccountId,
        a.integrationId,
        phoneOf(9_100_001).slice(1),
        phoneOf(9_100_001),
        phoneOf(9_100_002).slice(1),
        phoneOf(9_100_002),
      ],
    );
    const res = await t.http
      .post('/api/whatsapp/bulk')
      .set('authorization', auth(a.subAccountId))
      .send({ subAccountId: a.subAccountId, leadIds: [open, stale, never], text: 'Your visit is confirmed' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      recipients: 1,
      skipped: { windowClosed: 2, noPhone: 0, optedOut: 0, duplicatePhone: 0 },
    });
    await completed(a.subAccountId, res.body.id);
    const sends = sentTo([phoneOf(9_100_001), phoneOf(9_100_002), phoneOf(9_100_003)]);
    expect(sends.map((s) => [digits(s.to), s.type])).toEqual([[digits(phoneOf(9_100_001)), 'text']]);
  });

  it('pauses (nothing more leaves), resumes, and completes with every recipient sent once', async () => {
    const leadIds = await seedLeads(t.sql, a.subAccountId, 150, 100_000);
    const phones = leadIds.map((_, i) => phoneOf(100_000 + i));
    fake.answerDelayMs = 100;
    const res = await t.http
      .post('/api/whatsapp/bulk')
      .set('authorization', auth(a.subAccountId))
      .send({ subAccountId: a.subAccountId, leadIds, template: { id: a.templateId }, parameters: { '1': 'there' } });
    expect(res.status).toBe(202);
    const id = res.body.id as string;
    try {
      await waitFor(async () => sentTo(phones).length >= 10, 30_000, 'the first sends');
      const paused = await t.http.post(`/api/whatsapp/bulk/${id}/pause`).set('authorization', auth(a.subAccountId));
      expect(paused.status).toBe(200);
      expect(paused.body.status).toBe('paused');
    } finally {
      fake.answerDelayMs = 0;
    }
    // requests already out finish; then nothing more is claimed or sent
    await waitFor(
      async () =>
        (
          await t.sql.query(
            `SELECT count(*)::int AS n FROM whatsapp_bulk_recipients WHERE bulk_id = $1 AND state = 'claimed'`,
            [id],
          )
        ).rows[0].n === 0,
      30_000,
      'in-flight sends to finish',
    );
    const atPause = sentTo(phones).length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(sentTo(phones)).toHaveLength(atPause);
    const view = await getBulk(t, a.subAccountId, id);
    expect(view).toMatchObject({ status: 'paused', etaSeconds: null, completedAt: null });
    expect(view.counts.pending).toBe(150 - atPause);
    expect(atPause).toBeLessThan(150);

    // a repeat answers 200 with the bulk as it is (API.md)
    const twice = await t.http.post(`/api/whatsapp/bulk/${id}/pause`).set('authorization', auth(a.subAccountId));
    expect([twice.status, twice.body.status]).toEqual([200, 'paused']);
    const resumed = await t.http.post(`/api/whatsapp/bulk/${id}/resume`).set('authorization', auth(a.subAccountId));
    expect(resumed.status).toBe(200);
    expect(resumed.body.status).toBe('running');
    const done = await completed(a.subAccountId, id);
    expect(done.counts).toMatchObject({ total: 150, sent: 150, pending: 0 });
    expect(sentTo(phones)).toHaveLength(150);
    expect(fake.duplicates()).toEqual([]);
  });

  it('cancels: pending recipients become skipped and are never sent', async () => {
    const leadIds = await seedLeads(t.sql, a.subAccountId, 20, 200_000);
    const phones = leadIds.map((_, i) => phoneOf(200_000 + i));
    const res = await t.http
      .post('/api/whatsapp/bulk')
      .set('authorization', auth(a.subAccountId))
      .send({
        subAccountId: a.subAccountId,
        leadIds,
        template: { id: a.templateId },
        parameters: { '1': 'there' },
        scheduledAt: new Date(Date.now() + 3_600_000).toISOString(),
      });
    expect(res.status).toBe(202);
    const id = res.body.id as string;
    expect((await getBulk(t, a.subAccountId, id)).status).toBe('queued');
    const cancelled = await t.http.post(`/api/whatsapp/bulk/${id}/cancel`).set('authorization', auth(a.subAccountId));
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({
      status: 'cancelled',
      counts: { total: 20, pending: 0, skipped: 20, sent: 0 },
    });
    const page = await t.http
      .get(`/api/whatsapp/bulk/${id}/recipients?status=skipped&pageSize=5`)
      .set('authorization', auth(a.subAccountId));
    expect(page.body).toMatchObject({ total: 20, pageSize: 5 });
    expect(page.body.items.every((i: { skipReason: string }) => i.skipReason === 'cancelled')).toBe(true);
    // a repeated cancel answers 200 (API.md); nothing resumes or pauses a cancelled bulk
    for (const [action, status] of [
      ['resume', 409],
      ['pause', 409],
      ['cancel', 200],
    ] as const)
      expect(
        (await t.http.post(`/api/whatsapp/bulk/${id}/${action}`).set('authorization', auth(a.subAccountId))).status,
      ).toBe(status);
    expect(sentTo(phones)).toHaveLength(0);
  });

  it('a scheduled bulk paused and resumed before it started still waits for its scheduledAt', async () => {
    const leadIds = await seedLeads(t.sql, a.subAccountId, 3, 250_000);
    const phones = leadIds.map((_, i) => phoneOf(250_000 + i));
    const scheduledAt = new Date(Date.now() + 3_600_000).toISOString();
    const res = await t.http
      .post('/api/whatsapp/bulk')
      .set('authorization', auth(a.subAccountId))
      .send({
        subAccountId: a.subAccountId,
        leadIds,
        template: { id: a.templateId },
        parameters: { '1': 'there' },
        scheduledAt,
      });
    expect(res.status).toBe(202);
    const id = res.body.id as string;
    const action = (name: string) =>
      t.http.post(`/api/whatsapp/bulk/${id}/${name}`).set('authorization', auth(a.subAccountId));
    expect((await action('pause')).body.status).toBe('paused');
    const resumed = await action('resume');
    expect(resumed.status).toBe(200);
    // back to waiting for its time, not started
    expect(resumed.body).toMatchObject({ status: 'queued', scheduledAt, startedAt: null });
    await new Promise((r) => setTimeout(r, 3000));
    expect(sentTo(phones)).toHaveLength(0);
    expect(await getBulk(t, a.subAccountId, id)).toMatchObject({ status: 'queued', counts: { pending: 3, sent: 0 } });
    expect((await action('cancel')).status).toBe(200);
  });

  it('a bulk paused before its first send and resumed runs with startedAt set', async () => {
    const leadIds = await seedLeads(t.sql, a.subAccountId, 3, 260_000);
    const phones = leadIds.map((_, i) => phoneOf(260_000 + i));
    const res = await t.http
      .post('/api/whatsapp/bulk')
      .set('authorization', auth(a.subAccountId))
      .send({
        subAccountId: a.subAccountId,
        leadIds,
        template: { id: a.templateId },
        parameters: { '1': 'there' },
        scheduledAt: new Date(Date.now() + 3_600_000).toISOString(),
      });
    const id = res.body.id as string;
    expect(
      (await t.http.post(`/api/whatsapp/bulk/${id}/pause`).set('authorization', auth(a.subAccountId))).status,
    ).toBe(200);
    // its time comes while it is paused
    await t.sql.query(`UPDATE whatsapp_bulk_jobs SET scheduled_at = now() - interval '1 second' WHERE id = $1`, [id]);
    // the resume starts it: `running` with startedAt in the answer, not `queued` until a runner claims it
    const resumed = await t.http.post(`/api/whatsapp/bulk/${id}/resume`).set('authorization', auth(a.subAccountId));
    expect([resumed.status, resumed.body.status]).toEqual([200, 'running']);
    expect(resumed.body.startedAt).toEqual(expect.any(String));
    const done = await completed(a.subAccountId, id);
    expect(done.counts).toMatchObject({ total: 3, sent: 3, pending: 0 });
    expect(sentTo(phones)).toHaveLength(3);
    const startedAt = (await t.http.get(`/api/whatsapp/bulk/${id}`).set('authorization', auth(a.subAccountId))).body
      .startedAt as string | null;
    expect(startedAt).not.toBeNull();
    expect(Date.parse(String(startedAt))).toBeLessThanOrEqual(Date.parse(String(done.completedAt)));
  });
});
