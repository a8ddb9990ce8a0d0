// Audit 19 of API.md "Webhooks (public, signed)": Meta deliveries naming two tenants' pages, the Meta
// verification handshake (API.md: "answers only the exact hub.mode=subscribe, one hub.verify_token,
// one hub.challenge"; Meta: https://developers.facebook.com/docs/graph-api/webhooks/getting-started
// "Verification Requests"), a replay or listing by a user of another sub-account, the event list's
// filter and shape, content-type charset / empty / oversized (413) answers and a lead redelivered in a
// differently shaped delivery (Meta retries deliveries: same leadgen_id). These pin behaviour the
// earlier audits (14, 17, 18) did not cover; all passed on the current code, no source fix was needed.
import { createIntegration, createSubAccount, META_CONFIG } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, metaSignature } from '../support/webhooks';

describe('API.md audit 19: webhooks', () => {
  let t: TestApp;
  let subA: number;
  let subB: number;
  let metaA: number;
  let metaB: number;
  const PAGE_B = '209876543211';

  beforeAll(async () => {
    t = await createTestApp({ env: { WEBHOOK_CACHE_TTL_MS: '0' } });
    subA = await createSubAccount(t, 'MAX', 'Audit 19 webhooks A');
    subB = await createSubAccount(t, 'MAX', 'Audit 19 webhooks B');
    metaA = (await createIntegration(t, subA, 'meta-lead-ads', META_CONFIG)).id;
    await activate(t, subA, metaA);
    metaB = (
      await createIntegration(t, subB, 'meta-lead-ads', {
        ...META_CONFIG,
        pageId: PAGE_B,
        appSecret: 'meta-app-secret-b-0002',
        verifyToken: 'meta-verify-token-b-8888',
      })
    ).id;
    await activate(t, subB, metaB);
  });
  afterAll(async () => {
    await t.close();
  });

  const entry = (pageId: string, leadId: string) => ({
    id: pageId,
    time: 1438292065,
    changes: [
      {
        field: 'leadgen',
        value: { leadgen_id: leadId, page_id: pageId, form_id: '123', ad_id: '55', created_time: 1440120384 },
      },
    ],
  });

  async function storedFor(integrationId: number): Promise<string[]> {
    const rows = await t.sql.query<{ external_id: string | null }>(
      'SELECT external_id FROM webhook_events WHERE integration_id = $1 ORDER BY id',
      [integrationId],
    );
    return rows.rows.map((r) => r.external_id ?? '');
  }

  it("a delivery signed with A's secret holding an entry for B's page stores nothing under B", async () => {
    const body = JSON.stringify({
      object: 'page',
      entry: [entry(META_CONFIG.pageId, '9190000000001'), entry(PAGE_B, '9190000000002')],
    });
    const res = await t.http
      .post('/api/webhooks/meta-lead-ads')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(body, META_CONFIG.appSecret))
      .send(body);
    expect(res.status).toBe(200);
    const b = await storedFor(metaB);
    expect(b.some((id) => id.includes('9190000000002'))).toBe(false);
    const a = await storedFor(metaA);
    expect(a.some((id) => id.includes('9190000000002'))).toBe(false);
  });

  it('the handshake echoes the challenge only for one exact verify_token of an active integration', async () => {
    const ok = await t.http
      .get('/api/webhooks/meta-lead-ads')
      .query({ 'hub.mode': 'subscribe', 'hub.verify_token': META_CONFIG.verifyToken, 'hub.challenge': '1158201444' });
    expect([ok.status, ok.text]).toEqual([200, '1158201444']);
    expect(ok.headers['content-type']).toMatch(/^text\/plain/);
    const twice = await t.http.get(
      `/api/webhooks/meta-lead-ads?hub.mode=subscribe&hub.verify_token=nope&hub.verify_token=${META_CONFIG.verifyToken}&hub.challenge=1`,
    );
    expect(twice.status).not.toBe(200);
    const wrongMode = await t.http
      .get('/api/webhooks/meta-lead-ads')
      .query({ 'hub.mode': 'unsubscribe', 'hub.verify_token': META_CONFIG.verifyToken, 'hub.challenge': '1' });
    expect(wrongMode.status).not.toBe(200);
  });

  it("a user of another sub-account can neither list nor replay A's events", async () => {
    const [row] = (
      await t.sql.query<{ id: string }>('SELECT id::text FROM webhook_events WHERE integration_id = $1 LIMIT 1', [
        metaA,
      ])
    ).rows;
    expect(row).toBeDefined();
    const other = `Bearer ${t.token('ADMIN', [subB])}`;
    const replay = await t.http.post(`/api/webhook-events/${row.id}/replay`).set('authorization', other);
    expect([403, 404]).toContain(replay.status);
    const list = await t.http.get(`/api/integrations/${metaA}/events`).set('authorization', other);
    expect([403, 404]).toContain(list.status);
    const bulk = await t.http.post(`/api/integrations/${metaA}/events/replay-failed`).set('authorization', other);
    expect([403, 404]).toContain(bulk.status);
  });

  it('the event list filters by status and answers the documented item shape', async () => {
    const admin = `Bearer ${t.token('ADMIN', [subA])}`;
    const all = await t.http.get(`/api/integrations/${metaA}/events`).set('authorization', admin);
    expect(all.status).toBe(200);
    const items = all.body.items as Array<Record<string, unknown>>;
    expect(items.length).toBeGreaterThan(0);
    expect(Object.keys(items[0]).sort()).toEqual(
      ['attempts', 'eventType', 'id', 'lastError', 'processedAt', 'provider', 'receivedAt', 'status'].sort(),
    );
    const failed = await t.http.get(`/api/integrations/${metaA}/events?status=FAILED`).set('authorization', admin);
    expect(failed.status).toBe(200);
    for (const e of failed.body.items as Array<{ status: string }>) expect(e.status).toBe('FAILED');
    const bad = await t.http.get(`/api/integrations/${metaA}/events?status=BOGUS`).set('authorization', admin);
    expect(bad.status).toBe(400);
  });

  it('a signed delivery with a charset parameter, an empty body or an oversized body gets the documented answers', async () => {
    const body = JSON.stringify({ object: 'page', entry: [entry(META_CONFIG.pageId, '9190000000003')] });
    const charset = await t.http
      .post('/api/webhooks/meta-lead-ads')
      .set('content-type', 'application/json; charset=UTF-8')
      .set('x-hub-signature-256', metaSignature(body, META_CONFIG.appSecret))
      .send(body);
    expect([charset.status, charset.body.status]).toEqual([200, 'received']);
    const empty = await t.http
      .post('/api/webhooks/meta-lead-ads')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature('', META_CONFIG.appSecret))
      .send('');
    expect([400, 401]).toContain(empty.status);
    expect(empty.body.statusCode).toBe(empty.status);
    const huge = `{"object":"page","pad":"${'x'.repeat(1024 * 1024 + 10)}"}`;
    const big = await t.http
      .post('/api/webhooks/meta-lead-ads')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(huge, META_CONFIG.appSecret))
      .send(huge);
    expect([big.status, big.body.statusCode, big.body.code]).toEqual([413, 413, 'PAYLOAD_TOO_LARGE']);
  });

  it('the same lead in a second, differently shaped delivery is answered duplicate and stored once', async () => {
    const again = { ...entry(META_CONFIG.pageId, '9190000000003'), time: 1438299999 };
    const body = JSON.stringify({ entry: [again], object: 'page' });
    const res = await t.http
      .post('/api/webhooks/meta-lead-ads')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(body, META_CONFIG.appSecret))
      .send(body);
    expect([res.status, res.body.status]).toEqual([200, 'duplicate']);
    const stored = (await storedFor(metaA)).filter((id) => id.includes('9190000000003'));
    expect(stored).toHaveLength(1);
  });
});
