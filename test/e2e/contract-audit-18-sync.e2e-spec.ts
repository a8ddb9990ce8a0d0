/**
 * Audit 18 (syncs): Graph may answer an empty page that still has a `next` link ("it is possible that
 * a page may be empty but contain a 'next' paging link. You should stop paging when the 'next' link
 * no longer appears", developers.facebook.com/docs/graph-api/results). A sync that stops at such a
 * page misses the leads after it, and a Facebook Ads run ends its window there and zeroes the spend
 * it never read. A lead forms list that never stops handing out new cursors ends the run instead of
 * holding its job.
 */
import { createIntegration, createSubAccount, META_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, waitFor } from '../support/webhooks';

interface RunRow {
  status: string;
  error: string | null;
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
}

describe('audit 18: syncs page past empty Graph pages', () => {
  let t: TestApp;
  let graph: FakeServer;
  let sub: number;
  let admin: string;

  beforeAll(async () => {
    graph = await FakeServer.start();
    t = await createTestApp({ env: { META_GRAPH_URL: graph.url } });
    sub = await createSubAccount(t, 'MAX', 'Audit 18 sync');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t.close();
    await graph.close();
  });

  const finished = async (integrationId: number): Promise<RunRow> => {
    const res = await t.http.post(`/api/integrations/${integrationId}/sync`).set('authorization', admin);
    expect(res.status).toBe(202);
    const runId = res.body.runId as string;
    return waitFor(
      async () => {
        const row = (
          await t.sql.query<RunRow>(
            'SELECT status, error, fetched, created, updated, unchanged FROM sync_runs WHERE id = $1',
            [runId],
          )
        ).rows[0];
        return row && row.status !== 'RUNNING' ? row : undefined;
      },
      30_000,
      `sync run ${runId}`,
    );
  };
  /** An empty Graph page whose paging still points at the next one. */
  const emptyWithNext = (path: string, after: string) => ({
    status: 200,
    body: { data: [], paging: { cursors: { after }, next: `${graph.url}${path}?after=${after}` } },
  });

  it('a Meta form whose first leads page is empty but has a next link: the lead on the page after it is created', async () => {
    const pageId = '181818181';
    const integration = await createIntegration(t, sub, 'meta-lead-ads', { ...META_CONFIG, pageId });
    await activate(t, sub, integration.id);
    graph.on('GET', `/${pageId}/leadgen_forms`, () => ({ status: 200, body: { data: [{ id: 'F18' }] } }));
    graph.on('GET', '/F18', () => ({ status: 200, body: { id: 'F18', name: 'Audit 18 form', questions: [] } }));
    graph.on('GET', '/F18/leads', (req) =>
      req.query.get('after') === 'P2'
        ? {
            status: 200,
            body: {
              data: [
                {
                  id: 'L18',
                  created_time: new Date().toISOString().replace('Z', '+0000'),
                  form_id: 'F18',
                  field_data: [{ name: 'email', values: ['l18@audit18.example'] }],
                },
              ],
            },
          }
        : emptyWithNext('/F18/leads', 'P2'),
    );
    expect(await finished(integration.id)).toEqual({
      status: 'SUCCEEDED',
      error: null,
      fetched: 1,
      created: 1,
      updated: 0,
      unchanged: 0,
    });
    const leads = await t.sql.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM leads WHERE sub_account_id = $1 AND email = 'l18@audit18.example'",
      [sub],
    );
    expect(leads.rows[0].n).toBe(1);
  }, 60_000);

  it('a Meta page whose lead forms list starts with an empty page with a next link: the forms after it are synced', async () => {
    const pageId = '181818182';
    const integration = await createIntegration(t, sub, 'meta-lead-ads', { ...META_CONFIG, pageId });
    await activate(t, sub, integration.id);
    graph.on('GET', `/${pageId}/leadgen_forms`, (req) =>
      req.query.get('after') === 'FP2'
        ? { status: 200, body: { data: [{ id: 'F18B' }] } }
        : emptyWithNext(`/${pageId}/leadgen_forms`, 'FP2'),
    );
    graph.on('GET', '/F18B', () => ({ status: 200, body: { id: 'F18B', name: 'Second page form', questions: [] } }));
    graph.on('GET', '/F18B/leads', () => ({
      status: 200,
      body: {
        data: [
          {
            id: 'L18B',
            created_time: new Date().toISOString().replace('Z', '+0000'),
            form_id: 'F18B',
            field_data: [{ name: 'email', values: ['l18b@audit18.example'] }],
          },
        ],
      },
    }));
    expect(await finished(integration.id)).toEqual(
      expect.objectContaining({ status: 'SUCCEEDED', fetched: 1, created: 1 }),
    );
  }, 60_000);

  it('a lead forms list that hands out a new cursor with every page ends the run after 100 pages instead of holding it', async () => {
    const pageId = '181818184';
    const integration = await createIntegration(t, sub, 'meta-lead-ads', { ...META_CONFIG, pageId });
    await activate(t, sub, integration.id);
    graph.on('GET', `/${pageId}/leadgen_forms`, (req) => {
      const n = Number(req.query.get('after') ?? '0') + 1;
      return {
        status: 200,
        body: {
          data: [{ id: `ENDLESS${n}` }],
          paging: { cursors: { after: String(n) }, next: `${graph.url}/${pageId}/leadgen_forms?after=${n}` },
        },
      };
    });
    const run = await finished(integration.id);
    expect(run.status).toBe('FAILED');
    expect(run.error).toContain('more than 100 pages of lead forms');
    expect(graph.count('GET', `/${pageId}/leadgen_forms`)).toBe(100);
  }, 60_000);

  it("a Facebook Ads insights page that is empty but has a next link: the next page's spend is stored, not zeroed", async () => {
    const account = 'act_1818';
    const integration = await createIntegration(t, sub, 'facebook-ads', { adAccountId: account, accessToken: 'fb-18' });
    await activate(t, sub, integration.id);
    const today = new Date().toISOString().slice(0, 10);
    // a previous run stored this ad's spend today; the platform still reports it, on the second page
    await t.sql.query(
      `INSERT INTO ad_costs (sub_account_id, integration_id, platform, day, level, campaign_id, ad_set_id, ad_id, spend,
         currency, impressions, clicks, leads, updated_at)
       VALUES ($1, $2, 'facebook-ads', $3, 'ad', 'C18', 'S18', 'A18', 10.00, 'EUR', 0, 0, 0, now())`,
      [sub, integration.id, today],
    );
    graph.on('GET', `/${account}`, () => ({ status: 200, body: { id: account, timezone_name: 'UTC' } }));
    graph.on('GET', `/${account}/insights`, (req) =>
      req.query.get('after') === 'I2'
        ? {
            status: 200,
            body: {
              data: [
                {
                  campaign_id: 'C18',
                  adset_id: 'S18',
                  ad_id: 'A18',
                  spend: '12.34',
                  impressions: '100',
                  clicks: '5',
                  account_currency: 'EUR',
                  date_start: today,
                  date_stop: today,
                },
              ],
            },
          }
        : emptyWithNext(`/${account}/insights`, 'I2'),
    );
    expect(await finished(integration.id)).toEqual(
      expect.objectContaining({ status: 'SUCCEEDED', error: null, fetched: 1 }),
    );
    const cost = await t.sql.query<{ spend: string }>(
      "SELECT spend::text AS spend FROM ad_costs WHERE integration_id = $1 AND ad_id = 'A18'",
      [integration.id],
    );
    expect(cost.rows.map((r) => Number(r.spend))).toEqual([12.34]);
  }, 60_000);

  it("another sub-account's admin cannot start or list a sync of the integration", async () => {
    const other = await createSubAccount(t, 'MAX', 'Audit 18 other');
    const otherAdmin = `Bearer ${t.token('ADMIN', [other])}`;
    const integration = await createIntegration(t, sub, 'meta-lead-ads', { ...META_CONFIG, pageId: '181818183' });
    await activate(t, sub, integration.id);
    const started = await t.http.post(`/api/integrations/${integration.id}/sync`).set('authorization', otherAdmin);
    expect(started.status).toBe(404);
    const listed = await t.http.get(`/api/integrations/${integration.id}/sync-runs`).set('authorization', otherAdmin);
    expect(listed.status).toBe(404);
    const runs = await t.sql.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM sync_runs WHERE integration_id = $1',
      [integration.id],
    );
    expect(runs.rows[0].n).toBe(0);
  });
});
