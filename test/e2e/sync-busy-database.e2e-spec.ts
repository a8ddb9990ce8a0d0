// A sync page whose writes PostgreSQL aborts as a deadlock's victim (the page's lead upserts meeting a
// webhook's writes of the same leads, in the other order). Before, the run failed with "deadlock
// detected" and the integration's lastSyncStatus read FAILED, though nothing was wrong with the page.
import { createIntegration, createSubAccount, GHL_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, waitFor } from '../support/webhooks';

const contact = (i: number): Record<string, unknown> => ({
  id: `busy${i}`,
  firstName: `Busy${i}`,
  email: `busy${i}@example.com`,
  locationId: GHL_CONFIG.locationId,
  searchAfter: [i],
});

describe('a sync page aborted as a deadlock victim', () => {
  let t: TestApp;
  let ghl: FakeServer;
  let sub: number;
  let admin: string;

  beforeAll(async () => {
    ghl = await FakeServer.start();
    t = await createTestApp({ env: { GHL_API_URL: ghl.url } });
    sub = await createSubAccount(t, 'MAX', 'Busy sync');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
    // the first `failures` lead inserts fail as a deadlock's victim does (SQLSTATE 40P01); a sequence is
    // not rolled back with the transaction, so the rerun's inserts pass
    await t.sql.query(`
      CREATE SEQUENCE busy_inserts;
      CREATE TABLE busy_settings (failures int NOT NULL);
      INSERT INTO busy_settings VALUES (0);
      CREATE FUNCTION busy_lead_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('busy_inserts') <= (SELECT failures FROM busy_settings) THEN
          RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER busy_lead_insert BEFORE INSERT ON leads FOR EACH ROW EXECUTE FUNCTION busy_lead_insert();`);
  });
  afterAll(async () => {
    await t?.close();
    await ghl?.close();
  });

  const sync = async (integrationId: number): Promise<Record<string, unknown>> => {
    const started = await t.http.post(`/api/integrations/${integrationId}/sync`).set('authorization', admin);
    expect(started.status).toBe(202);
    return waitFor(
      async () => {
        const row = (await t.sql.query('SELECT * FROM sync_runs WHERE id = $1', [started.body.runId])).rows[0] as
          Record<string, unknown> | undefined;
        return row && row.status !== 'RUNNING' ? row : undefined;
      },
      60_000,
      `sync run ${String(started.body.runId)}`,
    );
  };

  it('writes the page again and succeeds, with exact counts, without asking the provider twice', async () => {
    const integration = await createIntegration(t, sub, 'gohighlevel', GHL_CONFIG);
    await activate(t, sub, integration.id);
    ghl.on('POST', '/contacts/search', () => ({
      status: 200,
      body: { contacts: [0, 1, 2].map(contact), total: 3 },
    }));
    await t.sql.query('UPDATE busy_settings SET failures = 2');

    const run = await sync(integration.id);
    expect(run).toEqual(
      expect.objectContaining({ status: 'SUCCEEDED', fetched: 3, created: 3, updated: 0, unchanged: 0, error: null }),
    );
    expect(ghl.requests.filter((r) => r.path === '/contacts/search')).toHaveLength(1);
    const leads = await t.sql.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM leads WHERE sub_account_id = $1 AND email LIKE 'busy%'",
      [sub],
    );
    expect(leads.rows[0].n).toBe(3);
    const read = await t.http.get(`/api/integrations/${integration.id}`).set('authorization', admin);
    expect(read.body).toEqual(expect.objectContaining({ lastSyncStatus: 'SUCCEEDED', status: 'active' }));
  });

  it('still fails the run, saying why, when the database keeps refusing the page', async () => {
    const integration = await createIntegration(t, sub, 'gohighlevel', {
      ...GHL_CONFIG,
      locationId: 'loc_BUSY2',
    });
    await activate(t, sub, integration.id);
    ghl.on('POST', '/contacts/search', () => ({
      status: 200,
      body: { contacts: [3, 4].map((i) => ({ ...contact(i), locationId: 'loc_BUSY2' })), total: 2 },
    }));
    await t.sql.query("UPDATE busy_settings SET failures = nextval('busy_inserts') + 1000");

    const run = await sync(integration.id);
    expect(run).toEqual(expect.objectContaining({ status: 'FAILED', error: 'deadlock detected' }));
    await t.sql.query('UPDATE busy_settings SET failures = 0');
  });
});
