// The whatsapp-bulk spec's contract tests (issue 12 points 5 and 8): validation and codes, integrations
// not active, recipients by filter, roles and tenant isolation, the longest body API.md allows. Skip
// reasons, pause, resume and cancel are in whatsapp-bulk-lifecycle.e2e-spec.ts; the shared setup in
// test/support/whatsapp-bulk-setup.ts.
import { createIntegration, createSubAccount, WHATSAPP_CONFIG } from '../support/factories';
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { TestApp } from '../support/test-app';
import { setupWhatsAppBulk, WhatsAppBulkFixture } from '../support/whatsapp-bulk-setup';
import { approvedTemplate, BULK_TEMPLATE, BulkSetup, seedLeads } from '../support/whatsapp-bulk';

describe('WhatsApp bulk sends', () => {
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let a: BulkSetup;
  let b: BulkSetup;
  let auth: WhatsAppBulkFixture['auth'];
  let completed: WhatsAppBulkFixture['completed'];
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ t, fake, a, b, auth, completed, close } = await setupWhatsAppBulk());
  });
  afterAll(() => close());

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
