import { createIntegration, createSubAccount, GHL_CONFIG, META_CONFIG } from '../support/factories';
import { FakeReply, FakeRequest, FakeServer } from '../support/fake-server';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, metaLeadgen, metaSignature, waitFor } from '../support/webhooks';

const CONTACTS = 10_000;
const contact = (i: number, version = 1): Record<string, unknown> => ({
  id: `c${String(i).padStart(5, '0')}`,
  firstName: `First${i}`,
  lastName: version > 1 ? `Changed${i}` : `Last${i}`,
  email: `contact${i}@example.com`,
  phone: `+1415555${String(i % 10_000).padStart(4, '0')}`,
  locationId: GHL_CONFIG.locationId,
  searchAfter: [i],
});

/** GoHighLevel's contacts search with searchAfter pagination and its burst limit (100 per 10 s), enforced. */
function ghlSearch(server: FakeServer, versionOf: (i: number) => number, over: { count: number }) {
  return (req: FakeRequest): FakeReply => {
    const recent = server.requests.filter((r) => r.at > req.at - 10_000);
    if (recent.length > 100) {
      over.count += 1;
      return { status: 429, headers: { 'retry-after': '10' }, body: { message: 'Too many requests' } };
    }
    const body = req.body as { searchAfter?: number[]; pageLimit: number };
    const start = body.searchAfter ? body.searchAfter[0] + 1 : 0;
    const ids = Array.from({ length: Math.max(0, Math.min(body.pageLimit, CONTACTS - start)) }, (_, k) => start + k);
    return { status: 200, body: { contacts: ids.map((i) => contact(i, versionOf(i))), total: CONTACTS } };
  };
}

async function runFinished(
  t: TestApp,
  integrationId: number,
  runId: string,
  // generous: on a loaded 2-core machine (the whole suite plus other work) a 10,000-contact run took minutes
  timeoutMs = 240_000,
): Promise<Record<string, unknown>> {
  return waitFor(
    async () => {
      const row = (await t.sql.query('SELECT * FROM sync_runs WHERE id = $1', [runId])).rows[0] as
        Record<string, unknown> | undefined;
      return row && row.status !== 'RUNNING' ? row : undefined;
    },
    timeoutMs,
    `sync run ${runId} of integration ${integrationId}`,
  );
}

describe('syncs', () => {
  let t: TestApp;
  let ghl: FakeServer;
  let graph: FakeServer;
  let sub: number;
  let admin: string;

  beforeAll(async () => {
    ghl = await FakeServer.start();
    graph = await FakeServer.start();
    t = await createTestApp({ env: { GHL_API_URL: ghl.url, META_GRAPH_URL: graph.url, WEBHOOK_CACHE_TTL_MS: '0' } });
    sub = await createSubAccount(t, 'MAX', 'Sync Co');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t.close();
    await ghl.close();
    await graph.close();
  });

  it('syncs 10,000 GoHighLevel contacts with exact counts, never above 100 requests per 10 s, then reports an unchanged re-sync', async () => {
    const integration = await createIntegration(t, sub, 'gohighlevel', GHL_CONFIG);
    await activate(t, sub, integration.id);
    const over = { count: 0 };
    let version = (_i: number): number => 1;
    ghl.on('POST', '/contacts/search', (req) => ghlSearch(ghl, version, over)(req));

    const started = await t.http.post(`/api/integrations/${integration.id}/sync`).set('authorization', admin);
    expect(started.status).toBe(202);
    expect(started.body.jobId).toEqual(expect.any(String));
    const conflict = await t.http.post(`/api/integrations/${integration.id}/sync`).set('authorization', admin);
    expect(conflict.status).toBe(409);
    expect(conflict.body.details).toEqual([expect.objectContaining({ jobId: started.body.jobId })]);

    const run = await runFinished(t, integration.id, started.body.runId);
    expect(run).toEqual(
      expect.objectContaining({ status: 'SUCCEEDED', fetched: CONTACTS, created: CONTACTS, updated: 0, unchanged: 0 }),
    );
    expect(over.count).toBe(0);
    const stamps = ghl.requests.map((r) => r.at);
    for (let i = 100; i < stamps.length; i++) expect(stamps[i] - stamps[i - 100]).toBeGreaterThanOrEqual(10_000 - 50);
    expect((await t.sql.query('SELECT count(*)::int AS n FROM leads WHERE sub_account_id = $1', [sub])).rows[0].n).toBe(
      CONTACTS,
    );

    // a second run over unchanged data rewrites nothing; then 7 changed contacts are updated
    ghl.requests.length = 0;
    const second = await t.http.post(`/api/integrations/${integration.id}/sync`).set('authorization', admin);
    expect(await runFinished(t, integration.id, second.body.runId)).toEqual(
      expect.objectContaining({ status: 'SUCCEEDED', fetched: CONTACTS, created: 0, updated: 0, unchanged: CONTACTS }),
    );
    version = (i) => (i % 1500 === 0 ? 2 : 1);
    const third = await t.http.post(`/api/integrations/${integration.id}/sync`).set('authorization', admin);
    expect(await runFinished(t, integration.id, third.body.runId)).toEqual(
      expect.objectContaining({ fetched: CONTACTS, created: 0, updated: 7, unchanged: CONTACTS - 7 }),
    );
    expect(
      (await t.sql.query("SELECT last_name FROM leads WHERE email = 'contact1500@example.com'")).rows[0].last_name,
    ).toBe('Changed1500');

    const runs = await t.http.get(`/api/integrations/${integration.id}/sync-runs`).set('authorization', admin);
    expect(runs.body.total).toBe(3);
    expect(runs.body.items[0]).toEqual(
      expect.objectContaining({
        status: 'SUCCEEDED',
        trigger: 'manual',
        counts: { fetched: CONTACTS, created: 0, updated: 7, unchanged: CONTACTS - 7 },
        error: null,
      }),
    );
    const read = await t.http.get(`/api/integrations/${integration.id}`).set('authorization', admin);
    expect(read.body).toEqual(expect.objectContaining({ lastSyncAt: expect.any(String), lastSyncStatus: 'SUCCEEDED' }));
  }, 600_000);

  it('marks the integration INVALID_CREDENTIALS on a 401 and fails the run with the provider message', async () => {
    const integration = await createIntegration(t, sub, 'gohighlevel', { ...GHL_CONFIG, locationId: 'loc_401' });
    await activate(t, sub, integration.id);
    ghl.on('POST', '/contacts/search', (req) =>
      (req.body as { locationId: string }).locationId === 'loc_401'
        ? { status: 401, body: { statusCode: 401, message: 'Invalid token: access token is invalid' } }
        : { status: 500, body: {} },
    );
    const started = await t.http.post(`/api/integrations/${integration.id}/sync`).set('authorization', admin);
    const run = await runFinished(t, integration.id, started.body.runId);
    expect(run.status).toBe('FAILED');
    expect(run.error).toContain('Invalid token');
    const read = await t.http.get(`/api/integrations/${integration.id}`).set('authorization', admin);
    expect(read.body.status).toBe('error');
    expect(read.body.errorMessage).toContain('INVALID_CREDENTIALS');
  });

  it('Meta reconciliation creates exactly the leads whose webhooks were dropped', async () => {
    const integration = await createIntegration(t, sub, 'meta-lead-ads', { ...META_CONFIG, pageId: '424242' });
    await activate(t, sub, integration.id);
    const all = Array.from({ length: 10 }, (_, i) => `88${i}`);
    const leadBody = (id: string) => ({
      id,
      created_time: '2026-11-22T10:00:00+0000',
      form_id: 'F1',
      field_data: [
        { name: 'email', values: [`recon${id}@example.com`] },
        { name: 'full_name', values: [`Recon ${id}`] },
      ],
    });
    graph.on('GET', /^\/88\d$/, (req) => ({ status: 200, body: leadBody(req.path.slice(1)) }));
    graph.on('GET', '/424242/leadgen_forms', () => ({
      status: 200,
      body: { data: [{ id: 'F1', name: 'Quote form' }] },
    }));
    graph.on('GET', '/F1/leads', (req) => {
      const after = req.query.get('after');
      const page = after === 'p2' ? all.slice(5) : all.slice(0, 5);
      return {
        status: 200,
        body: {
          data: page.map(leadBody),
          paging:
            after === 'p2'
              ? { cursors: { after: 'end' } }
              : { cursors: { after: 'p2' }, next: `${graph.url}/F1/leads?after=p2` },
        },
      };
    });
    // 6 of the 10 webhooks arrive; 4 are lost
    for (const id of all.slice(0, 6)) {
      const body = metaLeadgen('424242', [id], 'F1');
      const res = await t.http
        .post('/api/webhooks/meta-lead-ads')
        .set('content-type', 'application/json')
        .set('x-hub-signature-256', metaSignature(body, META_CONFIG.appSecret))
        .send(body);
      expect(res.body.status).toBe('received');
    }
    await waitFor(
      async () =>
        (
          await t.sql.query(
            "SELECT count(*)::int AS n FROM webhook_events WHERE integration_id = $1 AND status = 'PROCESSED'",
            [integration.id],
          )
        ).rows[0].n === 6,
    );
    const started = await t.http.post(`/api/integrations/${integration.id}/sync`).set('authorization', admin);
    const run = await runFinished(t, integration.id, started.body.runId);
    expect(run).toEqual(expect.objectContaining({ status: 'SUCCEEDED', fetched: 10, created: 4, updated: 6 }));
    const leads = await t.sql.query("SELECT email FROM leads WHERE email LIKE 'recon%' ORDER BY email");
    expect(leads.rows.map((r: { email: string }) => r.email)).toEqual(all.map((id) => `recon${id}@example.com`));
    const filter = graph.requests.find((r) => r.path === '/F1/leads')?.query.get('filtering');
    expect(JSON.parse(filter ?? '[]')).toEqual([
      expect.objectContaining({ field: 'time_created', operator: 'GREATER_THAN' }),
    ]);
  });

  it('counts a contact listed twice in one page once as new and then against what its first listing wrote', async () => {
    const integration = await createIntegration(t, sub, 'gohighlevel', { ...GHL_CONFIG, locationId: 'loc_dup' });
    await activate(t, sub, integration.id);
    const listed = (id: string, lastName: string, dateUpdated = '2026-11-20T10:00:00.000Z') => ({
      id,
      firstName: 'Twice',
      lastName,
      email: `${id}@twice.example.com`,
      locationId: 'loc_dup',
      dateUpdated,
    });
    // A twice as it is; B twice, its second listing changed (a contact edited while the search paged)
    const page = [
      listed('dupA', 'Same'),
      listed('dupB', 'Before'),
      listed('dupA', 'Same'),
      listed('dupB', 'After', '2026-11-20T11:00:00.000Z'),
    ];
    ghl.on('POST', '/contacts/search', (req) =>
      (req.body as { locationId: string }).locationId === 'loc_dup'
        ? { status: 200, body: { contacts: page, total: page.length } }
        : { status: 500, body: {} },
    );
    const counts = async () => {
      const started = await t.http.post(`/api/integrations/${integration.id}/sync`).set('authorization', admin);
      expect(started.status).toBe(202);
      const run = await runFinished(t, integration.id, started.body.runId);
      expect(run.status).toBe('SUCCEEDED');
      return { created: run.created, updated: run.updated, unchanged: run.unchanged };
    };
    expect(await counts()).toEqual({ created: 2, updated: 1, unchanged: 1 });
    const names = await t.sql.query(
      "SELECT email, last_name FROM leads WHERE email LIKE '%@twice.example.com' ORDER BY email",
    );
    expect(names.rows).toEqual([
      { email: 'dupa@twice.example.com', last_name: 'Same' },
      { email: 'dupb@twice.example.com', last_name: 'After' },
    ]);
    // the same page again: A is unchanged both times; B's first listing differs from what was written
    // last (After), and its second from what that first listing just wrote (Before)
    expect(await counts()).toEqual({ created: 0, updated: 2, unchanged: 2 });
    // the older listing, counted, does not undo the newer one's name
    const b = await t.sql.query("SELECT last_name FROM leads WHERE email = 'dupb@twice.example.com'");
    expect(b.rows[0].last_name).toBe('After');
  });

  it('answers 400 for an integration with nothing to sync, and 404 for another sub-account', async () => {
    const google = await createIntegration(t, sub, 'google-ads-lead-forms', { googleKey: 'k-sync-0000000' });
    expect((await t.http.post(`/api/integrations/${google.id}/sync`).set('authorization', admin)).status).toBe(400);
    const other = await createSubAccount(t, 'PRO', 'Nosy');
    const token = `Bearer ${t.token('ADMIN', [other])}`;
    expect((await t.http.post(`/api/integrations/${google.id}/sync`).set('authorization', token)).status).toBe(404);
    expect((await t.http.get(`/api/integrations/${google.id}/sync-runs`).set('authorization', token)).status).toBe(404);
    expect((await t.http.get(`/api/integrations/${google.id}/events`).set('authorization', token)).status).toBe(404);
    expect((await t.http.get(`/api/integrations/${google.id}/health`).set('authorization', token)).status).toBe(404);
  });
});
