/**
 * A webhook delivered after the sync already recorded the same platform record (the webhook was
 * delayed or retried while the reconciling sync pulled the lead, which is what the sync is for) is
 * that record's touch, not a second one: one source row, the campaign-day's whole spend on it, one
 * row. The other order (webhook, then sync) is audit 15's. A re-conversion (another
 * platform record of the same person) still adds its own touch.
 */
import { createIntegration, createSubAccount, META_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, eventStatuses, metaLeadgen, metaSignature, waitFor } from '../support/webhooks';

describe('a webhook after the sync recorded its lead', () => {
  let t: TestApp;
  let graph: FakeServer;
  let sub: number;
  let admin: string;

  beforeAll(async () => {
    graph = await FakeServer.start();
    t = await createTestApp({ env: { META_GRAPH_URL: graph.url, WEBHOOK_CACHE_TTL_MS: '0' } });
    sub = await createSubAccount(t, 'MAX', 'Webhook after sync');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t.close();
    await graph.close();
  });

  const metaLead = (id: string, formId: string) => ({
    id,
    created_time: '2026-11-21T10:00:00+0000',
    form_id: formId,
    campaign_id: 'CMP-WAS',
    field_data: [
      { name: 'email', values: ['same.person@after-sync.example'] },
      { name: 'full_name', values: ['Same Person'] },
    ],
  });

  const deliver = async (integrationId: number, pageId: string, leadId: string, formId: string): Promise<void> => {
    const before = (await eventStatuses(t, integrationId)).length;
    const body = metaLeadgen(pageId, [leadId], formId);
    const res = await t.http
      .post('/api/webhooks/meta-lead-ads')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(body, META_CONFIG.appSecret))
      .send(body);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('received');
    const statuses = await waitFor(
      async () => {
        const all = await eventStatuses(t, integrationId);
        return all.length > before && all.every((s) => s === 'PROCESSED' || s === 'FAILED') ? all : undefined;
      },
      20_000,
      `the delivery of ${leadId} processed`,
    );
    expect(statuses.every((s) => s === 'PROCESSED')).toBe(true);
  };

  it('is applied as the sync touch: one source, the whole spend; a re-conversion still adds one', async () => {
    const pageId = '727272727';
    const integration = await createIntegration(t, sub, 'meta-lead-ads', { ...META_CONFIG, pageId });
    await activate(t, sub, integration.id);
    await t.sql.query(
      `INSERT INTO ad_costs (sub_account_id, integration_id, platform, day, level, campaign_id, ad_id, spend, currency,
         impressions, clicks, leads, updated_at)
       VALUES ($1, $2, 'facebook-ads', '2026-11-21', 'campaign', 'CMP-WAS', '', 40.00, 'USD', 0, 0, 1, now())`,
      [sub, integration.id],
    );
    graph.on('GET', '/WAS1', () => ({ status: 200, body: metaLead('WAS1', 'FWAS') }));
    graph.on('GET', '/WAS2', () => ({ status: 200, body: metaLead('WAS2', 'FWAS') }));
    graph.on('GET', `/${pageId}/leadgen_forms`, () => ({ status: 200, body: { data: [{ id: 'FWAS' }] } }));
    graph.on('GET', '/FWAS/leads', () => ({ status: 200, body: { data: [metaLead('WAS1', 'FWAS')] } }));

    // the sync pulls the lead first (its webhook was delayed)
    const started = await t.http.post(`/api/integrations/${integration.id}/sync`).set('authorization', admin);
    expect(started.status).toBe(202);
    const run = await waitFor(
      async () =>
        (
          await t.sql.query<{ status: string; created: number }>(
            'SELECT status, created FROM sync_runs WHERE id = $1',
            [started.body.runId],
          )
        ).rows.find((r) => r.status !== 'RUNNING'),
      30_000,
      'sync run',
    );
    expect(run).toEqual({ status: 'SUCCEEDED', created: 1 });
    const leadId = (
      await t.sql.query<{ id: string }>("SELECT id::text FROM leads WHERE email = 'same.person@after-sync.example'")
    ).rows[0].id;

    const touches = async () => {
      const res = await t.http.get(`/api/leads/${leadId}`).set('authorization', admin);
      expect(res.status).toBe(200);
      return { sources: (res.body.sourceTracking.sources as unknown[]).length, cost: res.body.sourceTracking.cost };
    };
    const sourceRows = async () =>
      (
        await t.sql.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM lead_sources WHERE lead_id = $1::bigint AND platform = 'meta'",
          [leadId],
        )
      ).rows[0].n;
    expect(await touches()).toEqual({ sources: 1, cost: 40 });

    // then the webhook of the same record arrives: the same touch, not a second one
    await deliver(integration.id, pageId, 'WAS1', 'FWAS');
    expect(await touches()).toEqual({ sources: 1, cost: 40 });
    expect(await sourceRows()).toBe(1);
    // and a re-sync finds the record as it left it
    const again = await t.http.post(`/api/integrations/${integration.id}/sync`).set('authorization', admin);
    const rerun = await waitFor(
      async () =>
        (
          await t.sql.query<{ status: string; created: number; unchanged: number }>(
            'SELECT status, created, unchanged FROM sync_runs WHERE id = $1',
            [again.body.runId],
          )
        ).rows.find((r) => r.status !== 'RUNNING'),
      30_000,
      'sync rerun',
    );
    expect(rerun).toEqual({ status: 'SUCCEEDED', created: 0, unchanged: 1 });

    // a re-conversion (the same person's next form submission) is a touch of its own
    await deliver(integration.id, pageId, 'WAS2', 'FWAS');
    expect(await touches()).toEqual({ sources: 2, cost: 20 });
  }, 90_000);
});
