/**
 * Audit 15 (syncs and health): provider paging that goes round in circles ends the run, a record a
 * webhook delivered is one touch when the sync lists it, and the health counts count events once.
 */
import { createIntegration, createSubAccount, GHL_CONFIG, META_CONFIG, WHATSAPP_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { whatsappBulk, whatsappSig } from '../support/hostile-corpus';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, metaLeadgen, metaSignature, waitFor } from '../support/webhooks';

interface RunRow {
  status: string;
  error: string | null;
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
}

describe('audit 15: syncs and integration health', () => {
  let t: TestApp;
  let ghl: FakeServer;
  let graph: FakeServer;
  let sub: number;
  let admin: string;

  beforeAll(async () => {
    ghl = await FakeServer.start();
    graph = await FakeServer.start();
    t = await createTestApp({ env: { GHL_API_URL: ghl.url, META_GRAPH_URL: graph.url, WEBHOOK_CACHE_TTL_MS: '0' } });
    sub = await createSubAccount(t, 'MAX', 'Audit 15');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t.close();
    await ghl.close();
    await graph.close();
  });

  const sync = async (integrationId: number): Promise<string> => {
    const res = await t.http.post(`/api/integrations/${integrationId}/sync`).set('authorization', admin);
    expect(res.status).toBe(202);
    return res.body.runId as string;
  };
  const finished = (runId: string, timeoutMs = 30_000): Promise<RunRow> =>
    waitFor(
      async () => {
        const row = (
          await t.sql.query<RunRow>(
            'SELECT status, error, fetched, created, updated, unchanged FROM sync_runs WHERE id = $1',
            [runId],
          )
        ).rows[0];
        return row && row.status !== 'RUNNING' ? row : undefined;
      },
      timeoutMs,
      `sync run ${runId}`,
    );
  const metaLead = (id: string, formId: string, campaignId = 'CMP-15') => ({
    id,
    created_time: '2026-11-20T10:00:00+0000',
    form_id: formId,
    campaign_id: campaignId,
    field_data: [
      { name: 'email', values: [`${id.toLowerCase()}@audit15.example`] },
      { name: 'full_name', values: [`Lead ${id}`] },
    ],
  });

  it('a GoHighLevel search that hands back the cursor it was asked with ends the run (FAILED) after that page, each record counted once', async () => {
    const integration = await createIntegration(t, sub, 'gohighlevel', { ...GHL_CONFIG, locationId: 'loc_loop15' });
    await activate(t, sub, integration.id);
    // searchAfter ignored: every page is the same 500 contacts, ending at the same keyset
    ghl.on('POST', '/contacts/search', () => ({
      status: 200,
      body: {
        contacts: Array.from({ length: 500 }, (_, i) => ({
          id: `loop${i}`,
          email: `loop${i}@audit15.example`,
          locationId: 'loc_loop15',
          searchAfter: [1000, `loop${i}`],
        })),
        total: 500,
      },
    }));
    const run = await finished(await sync(integration.id));
    expect(run).toEqual(
      expect.objectContaining({ status: 'FAILED', fetched: 1000, created: 500, updated: 0, unchanged: 500 }),
    );
    expect(run.error).toContain('pagination cursor it had already given');
    expect(ghl.count('POST', '/contacts/search')).toBe(2);
    // the integration is not held: a new run starts
    ghl.on('POST', '/contacts/search', () => ({ status: 200, body: { contacts: [], total: 0 } }));
    expect((await finished(await sync(integration.id))).status).toBe('SUCCEEDED');
  }, 60_000);

  it("a Meta page's lead forms list whose paging cursor repeats ends the run instead of listing it for ever", async () => {
    const pageId = '515151515';
    const integration = await createIntegration(t, sub, 'meta-lead-ads', { ...META_CONFIG, pageId });
    await activate(t, sub, integration.id);
    graph.on('GET', `/${pageId}/leadgen_forms`, () => ({
      status: 200,
      body: {
        data: [{ id: 'LOOPFORM', name: 'Looping' }],
        paging: { cursors: { after: 'SAME' }, next: `${graph.url}/${pageId}/leadgen_forms?after=SAME` },
      },
    }));
    const run = await finished(await sync(integration.id), 20_000);
    expect(run.status).toBe('FAILED');
    expect(run.error).toContain('repeated a paging cursor');
    expect(graph.count('GET', `/${pageId}/leadgen_forms`)).toBe(2);
  }, 40_000);

  it('a Meta lead delivered by webhook and then listed by the sync stays one touch with the whole spend of its campaign-day', async () => {
    const pageId = '626262626';
    const integration = await createIntegration(t, sub, 'meta-lead-ads', { ...META_CONFIG, pageId });
    await activate(t, sub, integration.id);
    // API.md: sourceTracking.cost is the campaign's spend that day ÷ its leads that day
    await t.sql.query(
      `INSERT INTO ad_costs (sub_account_id, integration_id, platform, day, level, campaign_id, ad_id, spend, currency,
         impressions, clicks, leads, updated_at)
       VALUES ($1, $2, 'facebook-ads', '2026-11-20', 'campaign', 'CMP-15', '', 30.00, 'USD', 0, 0, 1, now())`,
      [sub, integration.id],
    );
    graph.on('GET', '/W15', () => ({ status: 200, body: metaLead('W15', 'F15') }));
    graph.on('GET', `/${pageId}/leadgen_forms`, () => ({ status: 200, body: { data: [{ id: 'F15' }] } }));
    graph.on('GET', '/F15/leads', () => ({ status: 200, body: { data: [metaLead('W15', 'F15')] } }));
    const body = metaLeadgen(pageId, ['W15'], 'F15');
    const delivered = await t.http
      .post('/api/webhooks/meta-lead-ads')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(body, META_CONFIG.appSecret))
      .send(body);
    expect(delivered.body.status).toBe('received');
    const leadId = await waitFor(async () => {
      const row = (await t.sql.query<{ id: string }>("SELECT id::text FROM leads WHERE email = 'w15@audit15.example'"))
        .rows[0];
      return row?.id;
    });
    const touches = async () => {
      const res = await t.http.get(`/api/leads/${leadId}`).set('authorization', admin);
      expect(res.status).toBe(200);
      return { sources: (res.body.sourceTracking.sources as unknown[]).length, cost: res.body.sourceTracking.cost };
    };
    expect(await touches()).toEqual({ sources: 1, cost: 30 });

    expect(await finished(await sync(integration.id))).toEqual(
      expect.objectContaining({ status: 'SUCCEEDED', fetched: 1, created: 0, updated: 1, unchanged: 0 }),
    );
    expect(await touches()).toEqual({ sources: 1, cost: 30 });
    // the record is now known to the sync: a re-sync of it is unchanged
    expect(await finished(await sync(integration.id))).toEqual(
      expect.objectContaining({ status: 'SUCCEEDED', fetched: 1, created: 0, updated: 0, unchanged: 1 }),
    );
    expect(await touches()).toEqual({ sources: 1, cost: 30 });
  }, 60_000);

  it('health counts each event of a delivery of more than a hundred once, not its batch row besides', async () => {
    const integration = await createIntegration(t, sub, 'whatsapp-cloud', WHATSAPP_CONFIG);
    await activate(t, sub, integration.id);
    const res = await t.http
      .post('/api/webhooks/whatsapp-cloud')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', whatsappSig(whatsappBulk({ statuses: 101 }, 'a15')))
      .send(whatsappBulk({ statuses: 101 }, 'a15'));
    expect(res.body.status).toBe('received');
    await waitFor(
      async () =>
        (
          await t.sql.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM webhook_events WHERE integration_id = $1 AND status IN ('PROCESSED', 'FAILED')",
            [integration.id],
          )
        ).rows[0].n === 102,
      // generous: on a loaded 2-core CI machine the other Jest worker can hold the CPU for a while
      90_000,
      'the batch and its 101 events processed',
    ).catch(async (err: unknown) => {
      // what was left, and why, so a failure on CI says more than "timed out"
      const rows = await t.sql.query(
        `SELECT status, count(*)::int AS n, max(attempts) AS attempts, min(last_error) AS error,
                max(next_attempt_at)::text AS next_attempt_at
           FROM webhook_events WHERE integration_id = $1 GROUP BY status`,
        [integration.id],
      );
      const jobs = await t.sql.query(
        "SELECT state, count(*)::int AS n, max(retry_count) AS retries FROM pgboss.job WHERE name = 'webhook-process' GROUP BY state",
      );
      const warnings = t
        .logs()
        .split('\n')
        .filter((line) => /"level":(40|50)/.test(line))
        .slice(-20);
      throw new Error(
        `${(err as Error).message}\nevents: ${JSON.stringify(rows.rows)}\njobs: ${JSON.stringify(jobs.rows)}\nlogs:\n${warnings.join('\n')}`,
      );
    });
    const health = await t.http.get(`/api/integrations/${integration.id}/health`).set('authorization', admin);
    expect(health.status).toBe(200);
    expect(health.body.webhooks24h).toEqual({ received: 101, processed: 101, failed: 0, rejected: 0 });
    expect(health.body.pendingJobs).toBe(0);
    // and the events list agrees: the 101 statuses, not the expanded batch row besides (audit 25)
    const events = await t.http
      .get(`/api/integrations/${integration.id}/events?pageSize=200`)
      .set('authorization', admin);
    expect(events.status).toBe(200);
    expect(events.body.total).toBe(101);
    expect((events.body.items as Array<{ eventType: string }>).map((e) => e.eventType)).not.toContain('delivery.batch');
  }, 120_000);
});
