// Audit 13 of API.md's core sections (Conventions, Authentication and roles, integration templates,
// integrations, webhooks, leads, sub-account settings, OAuth) as an outside tester with a signed token.
// Failed before their fix:
// - a token whose `subAccountIds` names an id past int4 (API.md: "subAccountIds (array of integers: the
//   sub-accounts this user may act on)"; sub-account ids are int4) answered 500 INTERNAL on every route
//   that scopes by sub-account (leads, integrations, sub-accounts …) instead of refusing the claims (401);
// - a token whose `sub` holds a NUL character (a user id PostgreSQL text cannot store) answered 500 on
//   every write that records who acted (a lead, a sub-account change, an audit record); one holding an
//   unpaired surrogate was written as another id (U+FFFD in its place);
// - an integration whose config sets `syncIntervalMinutes` past int4 (API.md: "integer, ≥ 1", which the
//   seeded schemas accept) made the scheduler's query fail ("integer out of range"), so no scheduled sync
//   of any integration of any sub-account started any more.
import { parseTokenArgs } from '../../src/common/auth/dev-token';
import { SyncProcessor } from '../../src/modules/sync/sync-processor';
import { createIntegration, createSubAccount, GHL_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { createTestApp, TestApp } from '../support/test-app';
import { activate } from '../support/webhooks';

const MAX_INT4 = 2_147_483_647;

describe('API.md audit 13 (core): authentication claims', () => {
  let t: TestApp;
  let sub: number;

  beforeAll(async () => {
    t = await createTestApp();
    sub = await createSubAccount(t, 'PRO', 'Audit 13');
  });
  afterAll(() => t.close());

  const bearer = (token: string): string => `Bearer ${token}`;

  it.each([
    ['an id past int4', [MAX_INT4 + 1]],
    ['a readable id beside one past int4', [1, Number.MAX_SAFE_INTEGER]],
  ])('subAccountIds with %s: the claims are refused (401 UNAUTHENTICATED), never a 500', async (_what, ids) => {
    const token = bearer(t.token('ADMIN', ids));
    for (const path of [
      '/api/leads',
      '/api/integrations',
      '/api/sub-accounts',
      '/api/leads/1',
      '/api/integrations/1',
    ]) {
      const res = await t.http.get(path).set('authorization', token);
      expect({ path, status: res.status, code: res.body.code }).toEqual({ path, status: 401, code: 'UNAUTHENTICATED' });
    }
  });

  it('npm run token refuses such an id rather than printing a token the API refuses', () => {
    expect(parseTokenArgs(['--sub-accounts', `1,${MAX_INT4 + 1}`], 86_400)).toMatchObject({ kind: 'error' });
    expect(parseTokenArgs(['--sub-accounts', `1,${MAX_INT4}`], 86_400)).toMatchObject({
      kind: 'token',
      subAccountIds: [1, MAX_INT4],
    });
  });

  it('subAccountIds at the int4 bound is a valid token (an empty scope, not a refusal)', async () => {
    const res = await t.http.get('/api/leads').set('authorization', bearer(t.token('ADMIN', [MAX_INT4])));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ items: [], total: 0 });
  });

  it.each([
    ['a NUL character', 'user\u0000id', 'nul@example.org'],
    ['an unpaired surrogate (stored as U+FFFD, another id)', 'user\ud800id', 'surrogate@example.org'],
  ])('a sub (user id) holding %s is refused (401), never a 500 or a write', async (_what, userId, email) => {
    const admin = bearer(t.token('ADMIN', [sub], userId));
    const superAdmin = bearer(t.token('SUPER_ADMIN', [], userId));
    const writes = [
      await t.http.post('/api/leads').set('authorization', admin).send({ subAccountId: sub, email }),
      await t.http.patch(`/api/sub-accounts/${sub}`).set('authorization', admin).send({ name: 'Renamed' }),
      await t.http.post('/api/sub-accounts').set('authorization', superAdmin).send({ name: 'Other' }),
    ];
    expect(writes.map((r) => [r.status, r.body.code])).toEqual([
      [401, 'UNAUTHENTICATED'],
      [401, 'UNAUTHENTICATED'],
      [401, 'UNAUTHENTICATED'],
    ]);
    const stored = await t.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM leads WHERE email = $1', [email]);
    expect(stored.rows[0].n).toBe(0);
  });
});

describe('API.md audit 13 (core): syncIntervalMinutes', () => {
  let t: TestApp;
  let ghl: FakeServer;

  beforeAll(async () => {
    ghl = await FakeServer.start();
    ghl.on('POST', '/contacts/search', () => ({ status: 200, body: { contacts: [], total: 0 } }));
    t = await createTestApp({ env: { GHL_API_URL: ghl.url } });
  });
  afterAll(async () => {
    await t.close();
    await ghl.close();
  });

  it("one tenant's huge syncIntervalMinutes does not stop the scheduled syncs of the others", async () => {
    const tenant = await createSubAccount(t, 'PRO', 'Scheduled');
    const other = await createSubAccount(t, 'PRO', 'Huge interval');
    const due = await createIntegration(t, tenant, 'gohighlevel', GHL_CONFIG);
    // valid for the seeded schema (integer >= 1): stored as sent
    const huge = await createIntegration(t, other, 'gohighlevel', {
      ...GHL_CONFIG,
      locationId: 'loc_HUGE',
      syncIntervalMinutes: 3_000_000_000,
    });
    await activate(t, tenant, due.id);
    await activate(t, other, huge.id);

    await expect(t.app.get(SyncProcessor).startDueRuns()).resolves.toBeUndefined();
    const runs = await t.sql.query<{ integration_id: number }>(
      "SELECT integration_id FROM sync_runs WHERE trigger = 'schedule' ORDER BY integration_id",
    );
    // the never-synced integration on the default interval is due; the other waits its (very long) interval
    expect(runs.rows.map((r) => r.integration_id)).toEqual([due.id]);
  });
});
