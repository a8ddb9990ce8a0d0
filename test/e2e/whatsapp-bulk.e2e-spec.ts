// Issue 12 points 5 and 8: bulk sends over HTTP (API.md "WhatsApp" → bulk): skip reasons, pause,
// resume, cancel, the contract's validation and codes, roles, and tenant isolation. The app runs its
// workers in this process (APP_ROLE=all) against the fake Graph API.
import { createIntegration, createSubAccount, WHATSAPP_CONFIG } from '../support/factories';
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { createTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';
import {
  approvedTemplate,
  BULK_TEMPLATE,
  BulkSetup,
  getBulk,
  phoneOf,
  seedLead,
  seedLeads,
  whatsAppSetup,
} from '../support/whatsapp-bulk';

describe('WhatsApp bulk sends', () => {
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let a: BulkSetup;
  let b: BulkSetup;
  const auth = (sub: number, role: 'ADMIN' | 'MANAGER' | 'AGENT' = 'MANAGER') => `Bearer ${t.token(role, [sub])}`;
  // a known contact is sent to by its wa_id (digits), a new one by its E.164 phone, as single sends do
  const digits = (phone: string) => phone.replace(/[^0-9]/g, '');
  const sentTo = (phones: string[]) => fake.accepted().filter((s) => phones.map(digits).includes(digits(s.to)));

  beforeAll(async () => {
    fake = await FakeWhatsAppGraph.start({
      accessToken: WHATSAPP_CONFIG.accessToken,
      appSecret: WHATSAPP_CONFIG.appSecret,
    });
    t = await createTestApp({ env: { META_GRAPH_URL: fake.url } });
    a = await whatsAppSetup(t, fake);
    // another tenant, on another number
    b = await whatsAppSetup(t, fake, { phoneNumberId: '106540352249999' });
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  async function completed(sub: number, id: string) {
    return waitFor(
      async () => {
        const bulk = await getBulk(t, sub, id);
        return bulk.status === 'completed' ? bulk : null;
      },
      60_000,
      `bulk ${id} to complete`,
    );
  }

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
    expect(
      (await t.http.post(`/api/whatsapp/bulk/${id}/resume`).set('authorization', auth(a.subAccountId))).status,
    ).toBe(200);
    const done = await completed(a.subAccountId, id);
    expect(done.counts).toMatchObject({ total: 3, sent: 3, pending: 0 });
    expect(sentTo(phones)).toHaveLength(3);
    const startedAt = (await t.http.get(`/api/whatsapp/bulk/${id}`).set('authorization', auth(a.subAccountId))).body
      .startedAt as string | null;
    expect(startedAt).not.toBeNull();
    expect(Date.parse(String(startedAt))).toBeLessThanOrEqual(Date.parse(String(done.completedAt)));
  });

  it('refuses what the contract refuses, before anything is written', async () => {
    const [lead] = await seedLeads(t.sql, a.subAccountId, 1, 300_000);
    const post = (body: Record<string, unknown>) =>
      t.http
        .post('/api/whatsapp/bulk')
        .set('authorization', auth(a.subAccountId))
        .send({ subAccountId: a.subAccountId, ...body });
    const before = (await t.sql.query('SELECT count(*)::int AS n FROM whatsapp_bulk_jobs')).rows[0].n;

    const both = await post({ leadIds: [lead], filter: { status: 'NEW' }, text: 'hi' });
    expect(both.status).toBe(400);
    expect(both.body.code).toBe('VALIDATION_FAILED');
    expect((await post({ leadIds: [lead] })).status).toBe(400);
    // the filter's status and source are checked as the leads list checks them
    for (const [field, filter] of [
      ['filter.status', { status: 'WON' }],
      ['filter.source', { source: 'myspace' }],
    ] as const) {
      const unknown = await post({ filter, text: 'hi' });
      expect({ filter, status: unknown.status, code: unknown.body.code }).toEqual({
        filter,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
      expect(unknown.body.details).toEqual([expect.objectContaining({ field })]);
    }
    expect((await post({ leadIds: [], text: 'hi' })).status).toBe(400);
    expect((await post({ leadIds: [lead], text: 'hi', extra: true })).status).toBe(400);
    const params = await post({ leadIds: [lead], template: { id: a.templateId }, parameters: { '2': 'x' } });
    expect(params.status).toBe(400);
    expect(params.body.code).toBe('TEMPLATE_PARAMETERS_INVALID');
    const pausedTemplate = await approvedTemplate(
      t.sql,
      fake,
      a.subAccountId,
      a.integrationId,
      { ...BULK_TEMPLATE, name: 'paused_one' },
      'PAUSED',
    );
    const notApproved = await post({ leadIds: [lead], template: { id: pausedTemplate }, parameters: { '1': 'x' } });
    expect(notApproved.status).toBe(422);
    expect(notApproved.body.code).toBe('TEMPLATE_NOT_APPROVED');
    // another tenant's template is not found here
    const foreignTemplate = await post({ leadIds: [lead], template: { id: b.templateId }, parameters: { '1': 'x' } });
    expect(foreignTemplate.status).toBe(404);
    expect((await t.sql.query('SELECT count(*)::int AS n FROM whatsapp_bulk_jobs')).rows[0].n).toBe(before);
  });

  it('integrationId left out: a sub-account whose only WhatsApp integration is not active gets 409 INTEGRATION_NOT_ACTIVE, as a single send does', async () => {
    const sub = await createSubAccount(t, 'MAX', 'Not yet active');
    const [lead] = await seedLeads(t.sql, sub, 1, 450_000);
    const send = (path: string, body: Record<string, unknown>) =>
      t.http
        .post(path)
        .set('authorization', auth(sub))
        .send({ subAccountId: sub, ...body });
    const both = async () => {
      const single = await send('/api/whatsapp/messages', { leadId: lead, text: 'hi' });
      const bulk = await send('/api/whatsapp/bulk', { leadIds: [lead], text: 'hi' });
      return [single.status, single.body.code, bulk.status, bulk.body.code];
    };
    // no WhatsApp integration at all: the same answer from both routes
    expect(await both()).toEqual([404, 'NOT_FOUND', 404, 'NOT_FOUND']);
    // created, its connection test not passed yet (pending)
    const { id } = await createIntegration(t, sub, 'whatsapp-cloud', {
      ...WHATSAPP_CONFIG,
      phoneNumberId: '106540352248888',
    });
    expect(await both()).toEqual([409, 'INTEGRATION_NOT_ACTIVE', 409, 'INTEGRATION_NOT_ACTIVE']);
    // live once but now in error (a failed connection test keeps isActive)
    await t.sql.query("UPDATE integrations SET status = 'error', is_active = true WHERE id = $1", [id]);
    expect(await both()).toEqual([409, 'INTEGRATION_NOT_ACTIVE', 409, 'INTEGRATION_NOT_ACTIVE']);
    const named = await send('/api/whatsapp/bulk', { integrationId: id, leadIds: [lead], text: 'hi' });
    expect([named.status, named.body.code]).toEqual([409, 'INTEGRATION_NOT_ACTIVE']);
    expect(
      (await t.sql.query('SELECT count(*)::int AS n FROM whatsapp_bulk_jobs WHERE sub_account_id = $1', [sub])).rows[0]
        .n,
    ).toBe(0);
  });

  it('filter.createdFrom/createdTo and scheduledAt that name no readable day are 400 naming the field, never 500', async () => {
    const [lead] = await seedLeads(t.sql, a.subAccountId, 1, 470_000);
    for (const value of ['20261201', '2026-W48', '2026-335', '2026-02-30']) {
      for (const [field, extra] of [
        ['filter.createdFrom', { filter: { createdFrom: value } }],
        ['filter.createdTo', { filter: { createdTo: value } }],
        ['scheduledAt', { leadIds: [lead], scheduledAt: value }],
      ] as const) {
        const res = await t.http
          .post('/api/whatsapp/bulk')
          .set('authorization', auth(a.subAccountId))
          .send({ subAccountId: a.subAccountId, template: { id: a.templateId }, parameters: { '1': 'x' }, ...extra });
        expect({ field, value, status: res.status, code: res.body.code }).toEqual({
          field,
          value,
          status: 400,
          code: 'VALIDATION_FAILED',
        });
        expect(res.body.details).toEqual([expect.objectContaining({ field })]);
      }
    }
  });

  it('selects recipients by filter', async () => {
    const tagged = await seedLeads(t.sql, b.subAccountId, 3, 400_000);
    await seedLeads(t.sql, b.subAccountId, 2, 400_100);
    await t.sql.query(`UPDATE leads SET tags = ARRAY['vip'] WHERE id = ANY($1::bigint[])`, [tagged]);
    const res = await t.http
      .post('/api/whatsapp/bulk')
      .set('authorization', auth(b.subAccountId, 'ADMIN'))
      .send({
        subAccountId: b.subAccountId,
        filter: { tags: ['vip'] },
        template: { id: b.templateId },
        parameters: { '1': 'VIP' },
      });
    expect(res.status).toBe(202);
    expect(res.body.recipients).toBe(3);
    const done = await completed(b.subAccountId, res.body.id);
    expect(done.counts).toMatchObject({ total: 3, sent: 3 });
    expect(fake.accepted().filter((s) => s.phoneNumberId === '106540352249999')).toHaveLength(3);
  });

  it('keeps tenants apart and agents out', async () => {
    const [lead] = await seedLeads(t.sql, a.subAccountId, 1, 500_000);
    const created = await t.http
      .post('/api/whatsapp/bulk')
      .set('authorization', auth(a.subAccountId))
      .send({
        subAccountId: a.subAccountId,
        leadIds: [lead],
        template: { id: a.templateId },
        parameters: { '1': 'x' },
        scheduledAt: new Date(Date.now() + 3_600_000).toISOString(),
      });
    expect(created.status).toBe(202);
    const id = created.body.id as string;
    const other = auth(b.subAccountId, 'ADMIN');
    for (const path of [`/api/whatsapp/bulk/${id}`, `/api/whatsapp/bulk/${id}/recipients`]) {
      const res = await t.http.get(path).set('authorization', other);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
    }
    for (const action of ['pause', 'resume', 'cancel'])
      expect((await t.http.post(`/api/whatsapp/bulk/${id}/${action}`).set('authorization', other)).status).toBe(404);
    expect(
      (await t.http.get(`/api/whatsapp/bulk?subAccountId=${a.subAccountId}`).set('authorization', other)).status,
    ).toBe(403);
    const mine = await t.http.get('/api/whatsapp/bulk').set('authorization', other);
    expect(mine.status).toBe(200);
    expect(mine.body.items.map((i: { id: string }) => i.id)).not.toContain(id);
    expect(mine.body.items.every((i: { subAccountId: number }) => i.subAccountId === b.subAccountId)).toBe(true);
    // someone else's leads are not found in one's own sub-account
    const foreignLeads = await t.http
      .post('/api/whatsapp/bulk')
      .set('authorization', other)
      .send({
        subAccountId: b.subAccountId,
        leadIds: [lead],
        template: { id: b.templateId },
        parameters: { '1': 'x' },
      });
    expect(foreignLeads.status).toBe(400);
    const foreignSub = await t.http
      .post('/api/whatsapp/bulk')
      .set('authorization', other)
      .send({
        subAccountId: a.subAccountId,
        leadIds: [lead],
        template: { id: a.templateId },
        parameters: { '1': 'x' },
      });
    expect(foreignSub.status).toBe(403);
    // AGENT: no bulk sends at all (API.md roles)
    const agent = auth(a.subAccountId, 'AGENT');
    expect((await t.http.get(`/api/whatsapp/bulk/${id}`).set('authorization', agent)).status).toBe(403);
    expect(
      (
        await t.http
          .post('/api/whatsapp/bulk')
          .set('authorization', agent)
          .send({ subAccountId: a.subAccountId, leadIds: [lead], text: 'hi' })
      ).status,
    ).toBe(403);
    const list = await t.http
      .get(`/api/whatsapp/bulk?subAccountId=${a.subAccountId}`)
      .set('authorization', auth(a.subAccountId));
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ page: 1, pageSize: 50 });
    expect(list.body.items.find((i: { id: string }) => i.id === id)).toMatchObject({
      status: 'queued',
      counts: { total: 1, pending: 1 },
      template: { id: a.templateId, name: BULK_TEMPLATE.name },
    });
  });

  it('reads the 100,000 leadIds API.md allows, however long their ids: never 413 for a body the contract allows', async () => {
    // ids of a large database (19 digits: 2.2 MB of JSON for 100,000, over the 1 MiB default limit), none of them a lead
    const leadIds = Array.from({ length: 100_000 }, (_, i) => String(9_000_000_000_000_000_000n + BigInt(i)));
    const body = { subAccountId: a.subAccountId, leadIds, template: { id: a.templateId }, parameters: { '1': 'x' } };
    expect(Buffer.byteLength(JSON.stringify(body))).toBeGreaterThan(2 * 1024 * 1024);
    const res = await t.http.post('/api/whatsapp/bulk').set('authorization', auth(a.subAccountId)).send(body);
    // read and checked: the leads are not this sub-account's
    expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(res.body.message).toContain('100000 of the leads were not found');
    // one more than the contract allows is refused for its length
    const over = await t.http
      .post('/api/whatsapp/bulk')
      .set('authorization', auth(a.subAccountId))
      .send({ ...body, leadIds: [...leadIds, '9000000000000100000'] });
    expect([over.status, over.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(over.body.details).toEqual([expect.objectContaining({ field: 'leadIds' })]);
  });
});
