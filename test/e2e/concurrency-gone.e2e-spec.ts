// Residual races of the concurrency audit: a row deleted between a service's read and its write, sync
// starts racing each other or a DELETE / disconnect. Never a 500.
import type { Response } from 'supertest';
import { createIntegration, createSubAccount, GHL_CONFIG, WHATSAPP_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { createTestApp, TestApp } from '../support/test-app';
import { activate } from '../support/webhooks';
import { seedLeads, whatsAppSetup } from '../support/whatsapp-bulk';

/**
 * Sends `request` while this test's connection holds an uncommitted DELETE of `table`'s row `id`: the
 * request still reads the row (the DELETE is not committed), its write waits for the row's lock, and the
 * DELETE commits under it. The interleaving a DELETE in another tab produces by chance, every time.
 */
async function deletedUnder(t: TestApp, table: string, id: number | string, request: () => Promise<Response>) {
  await t.sql.query('BEGIN');
  let answer: Promise<Response> | undefined;
  try {
    const deleted = await t.sql.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
    if (deleted.rowCount !== 1) throw new Error(`no ${table} row ${id}`);
    answer = request();
    void answer.catch(() => undefined);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const waiting = await t.sql.query('SELECT 1 FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid()');
      if (waiting.rowCount) break;
      if (Date.now() > deadline) throw new Error(`the request never waited for the ${table} row's lock`);
      await new Promise((r) => setTimeout(r, 5));
    }
    await t.sql.query('COMMIT');
  } catch (err) {
    await t.sql.query('ROLLBACK');
    throw err;
  }
  return answer;
}

describe('sync starts racing each other, a DELETE or a disconnect', () => {
  let t: TestApp;
  let ghl: FakeServer;
  let sub: number;
  let admin: string;
  let slowMs = 0;

  beforeAll(async () => {
    ghl = await FakeServer.start();
    ghl.on('POST', '/contacts/search', () => ({ status: 200, delayMs: slowMs, body: { contacts: [], total: 0 } }));
    t = await createTestApp({ env: { GHL_API_URL: ghl.url } });
    sub = await createSubAccount(t, 'MAX', 'Sync race');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t.close();
    await ghl.close();
  });

  const ghlIntegration = async (round: number): Promise<number> => {
    const { id } = await createIntegration(t, sub, 'gohighlevel', { ...GHL_CONFIG, locationId: `loc_sync_${round}` });
    await activate(t, sub, id);
    return id;
  };
  const startSync = (id: number) => t.http.post(`/api/integrations/${id}/sync`).set('authorization', admin);

  it('20 starts at once while the run is slow: exactly one 202, every other a 409 naming the running job', async () => {
    slowMs = 1500;
    for (let round = 0; round < 4; round++) {
      const id = await ghlIntegration(round);
      const answers = await Promise.all(Array.from({ length: 20 }, () => startSync(id)));
      const started = answers.filter((a) => a.status === 202);
      expect(answers.map((a) => a.status).filter((s) => s !== 202 && s !== 409)).toEqual([]);
      expect(started).toHaveLength(1);
      const { jobId, runId } = started[0].body as { jobId: string; runId: string };
      for (const a of answers.filter((x) => x.status === 409)) {
        expect(a.body.code).toBe('CONFLICT');
        expect(a.body.details).toEqual([{ jobId, runId }]);
      }
    }
  });

  // the 500 needed a run to end between two statements of a start (see sync.service.medium.spec for
  // the deterministic case); here starts keep coming while runs begin and end
  it('starts sent on and on while runs finish: each 202 or 409, never 500', async () => {
    slowMs = 0;
    const id = await ghlIntegration(100);
    const until = Date.now() + 4000;
    const seen = new Map<number, number>();
    const unclean: unknown[] = [];
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (Date.now() < until) {
          const a = await startSync(id);
          seen.set(a.status, (seen.get(a.status) ?? 0) + 1);
          if (a.status !== 202 && a.status !== 409) unclean.push(a.body);
        }
      }),
    );
    expect(unclean).toEqual([]);
    expect(seen.get(202)).toBeGreaterThan(1);
  });

  it('starts racing a DELETE answer 202 or 404, and racing a disconnect 202 or 409; never 500', async () => {
    slowMs = 0;
    for (let round = 0; round < 6; round++) {
      const id = await ghlIntegration(200 + round);
      const base = `/api/integrations/${id}`;
      const gone = round % 2 === 0;
      const answers = await Promise.all([
        new Promise((r) => setTimeout(r, round % 3)).then(() =>
          gone
            ? t.http.delete(base).set('authorization', admin)
            : t.http.post(`${base}/disconnect`).set('authorization', admin),
        ),
        ...Array.from({ length: 6 }, () => startSync(id)),
      ]);
      const [first, ...starts] = answers;
      expect(first.status).toBe(gone ? 204 : 200);
      for (const a of starts) expect([202, 409, gone ? 404 : 409]).toContain(a.status);
    }
    // a disconnected integration has nothing to sync with: refused, no run written
    const id = await ghlIntegration(300);
    expect((await t.http.post(`/api/integrations/${id}/disconnect`).set('authorization', admin)).status).toBe(200);
    const refused = await startSync(id);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('INTEGRATION_NOT_ACTIVE');
  });
});

describe('a row deleted between the read of a request and its write', () => {
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let sub: number;
  let admin: string;
  const su = () => `Bearer ${t.token('SUPER_ADMIN')}`;

  beforeAll(async () => {
    fake = await FakeWhatsAppGraph.start({
      accessToken: WHATSAPP_CONFIG.accessToken,
      appSecret: WHATSAPP_CONFIG.appSecret,
    });
    t = await createTestApp({ env: { META_GRAPH_URL: fake.url } });
    sub = await createSubAccount(t, 'MAX', 'Gone Co');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  const expectGone = (res: Response): void => {
    expect({ status: res.status, code: res.body?.code as unknown }).toEqual({ status: 404, code: 'NOT_FOUND' });
  };

  it('PATCH /api/sub-accounts/:id: 404, not 500', async () => {
    const id = await createSubAccount(t, 'PRO', 'Doomed');
    expectGone(
      await deletedUnder(t, 'sub_accounts', id, () =>
        t.http.patch(`/api/sub-accounts/${id}`).set('authorization', su()).send({ name: 'Renamed' }),
      ),
    );
  });

  it('PATCH, disconnect and rotate-webhook-secret of an integration: 404', async () => {
    for (const action of ['patch', 'disconnect', 'rotate-webhook-secret']) {
      const { id } = await createIntegration(t, sub, 'generic-webhook', {
        mapping: { email: '/email' },
        externalIdPointer: '/id',
      });
      const base = `/api/integrations/${id}`;
      expectGone(
        await deletedUnder(t, 'integrations', id, () =>
          action === 'patch'
            ? t.http.patch(base).set('authorization', admin).send({ name: 'Renamed' })
            : t.http.post(`${base}/${action}`).set('authorization', admin),
        ),
      );
    }
  });

  it('PATCH /api/leads/:id (status, assignee): 404', async () => {
    const [a, b] = await seedLeads(t.sql, sub, 2, 100);
    expectGone(
      await deletedUnder(t, 'leads', a, () =>
        t.http.patch(`/api/leads/${a}`).set('authorization', admin).send({ status: 'CONTACTED' }),
      ),
    );
    expectGone(
      await deletedUnder(t, 'leads', b, () =>
        t.http
          .patch(`/api/leads/${b}`)
          .set('authorization', admin)
          .send({ assignedUserId: 'u-7', assignedUserName: 'Ana' }),
      ),
    );
  });

  it('PATCH /api/report-templates/:id: 404', async () => {
    const created = await t.http
      .post('/api/report-templates')
      .set('authorization', admin)
      .send({
        subAccountId: sub,
        name: 'Weekly',
        type: 'SOURCE',
        config: { metrics: ['totalLeads'], groupBy: ['source'], dateRange: 'LAST_7_DAYS' },
        format: 'PDF',
      });
    expect(created.status).toBe(201);
    const id = created.body.id as number;
    expectGone(
      await deletedUnder(t, 'report_templates', id, () =>
        t.http.patch(`/api/report-templates/${id}`).set('authorization', admin).send({ name: 'Late' }),
      ),
    );
  });

  it('POST /api/webhook-events/:id/replay of an event deleted meanwhile: 404, not 409 "already queued"', async () => {
    const { id: integrationId } = await createIntegration(t, sub, 'generic-webhook', {
      mapping: { email: '/email' },
      externalIdPointer: '/id',
    });
    const { rows } = await t.sql.query<{ id: string }>(
      `INSERT INTO webhook_events (integration_id, sub_account_id, provider, dedup_key, event_type, status, attempts, last_error, payload)
       VALUES ($1, $2, 'generic-webhook', 'gone-1', 'lead', 'FAILED', 5, 'boom', '{}') RETURNING id::text`,
      [integrationId, sub],
    );
    const eventId = rows[0].id;
    expectGone(
      await deletedUnder(t, 'webhook_events', eventId, () =>
        t.http.post(`/api/webhook-events/${eventId}/replay`).set('authorization', admin),
      ),
    );
  });

  it('bulk pause, resume and cancel: 404, not 409 for a state the bulk no longer has', async () => {
    const wa = await whatsAppSetup(t, fake, { phoneNumberId: '106540352249999' });
    const manager = `Bearer ${t.token('MANAGER', [wa.subAccountId])}`;
    const leadIds = await seedLeads(t.sql, wa.subAccountId, 3, 9000);
    for (const action of ['pause', 'cancel', 'resume']) {
      const bulk = await t.http
        .post('/api/whatsapp/bulk')
        .set('authorization', manager)
        .send({
          subAccountId: wa.subAccountId,
          leadIds,
          template: { id: wa.templateId },
          parameters: { '1': 'x' },
          scheduledAt: new Date(Date.now() + 3600_000).toISOString(),
        });
      expect(bulk.status).toBe(202);
      const id = bulk.body.id as string;
      if (action === 'resume') {
        expect((await t.http.post(`/api/whatsapp/bulk/${id}/pause`).set('authorization', manager)).status).toBe(200);
      }
      expectGone(
        await deletedUnder(t, 'whatsapp_bulk_jobs', id, () =>
          t.http.post(`/api/whatsapp/bulk/${id}/${action}`).set('authorization', manager),
        ),
      );
    }
  });
});
