// A sync page whose writes PostgreSQL aborts as a deadlock's victim (the page's lead upserts meeting a
// webhook's writes of the same leads, in the other order). Before, the run failed with "deadlock
// detected" and the integration's lastSyncStatus read FAILED, though nothing was wrong with the page.
import { createIntegration, createSubAccount, GHL_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, waitFor } from '../support/webhooks';
import { SyncProcessor } from '../../src/modules/sync/sync-processor';

const contact = (i: number): Record<string, unknown> => ({
  id: `busy${i}`,
  firstName: `Busy${i}`,
  email: `busy${i}@example.com`,
  locationId: GHL_CONFIG.locationId,
  searchAfter: [i],
});

describe('a sync page aborted as a deadlock victim, or by a database going away', () => {
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
      CREATE TABLE busy_settings (failures int NOT NULL, code text NOT NULL, message text NOT NULL);
      INSERT INTO busy_settings VALUES (0, '40P01', 'deadlock detected');
      CREATE FUNCTION busy_lead_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE s busy_settings;
      BEGIN
        SELECT * INTO s FROM busy_settings;
        IF nextval('busy_inserts') <= s.failures THEN
          RAISE EXCEPTION USING ERRCODE = s.code, MESSAGE = s.message;
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

  // A lost connection or a server shutting down (SQLSTATE 57P01 admin_shutdown, class 08) failed the run
  // before, though nothing was wrong with the page: the job's retry now resumes it
  it.each([
    ['57P01', 'terminating connection due to administrator command', 'loc_GONE1', [5, 6]],
    ['08006', 'connection failure', 'loc_GONE2', [8, 9]],
  ])(
    "a page that meets SQLSTATE %s is fetched again by the job's retry and the run succeeds",
    async (code, message, locationId, people) => {
      const integration = await createIntegration(t, sub, 'gohighlevel', { ...GHL_CONFIG, locationId });
      await activate(t, sub, integration.id);
      const asked = (): number =>
        ghl.requests.filter((r) => r.path === '/contacts/search' && JSON.stringify(r.body).includes(locationId)).length;
      ghl.on('POST', '/contacts/search', () => ({
        status: 200,
        body: { contacts: people.map((i) => ({ ...contact(i), id: `${locationId}-${i}`, locationId })), total: 2 },
      }));
      await t.sql.query("UPDATE busy_settings SET failures = nextval('busy_inserts') + 1, code = $1, message = $2", [
        code,
        message,
      ]);

      const run = await sync(integration.id);
      expect(run).toEqual(
        expect.objectContaining({ status: 'SUCCEEDED', fetched: 2, created: 2, updated: 0, unchanged: 0, error: null }),
      );
      // the interrupted attempt's page was not kept: the retry asked again and counted the page once
      expect(asked()).toBe(2);
      const read = await t.http.get(`/api/integrations/${integration.id}`).set('authorization', admin);
      expect(read.body).toEqual(expect.objectContaining({ lastSyncStatus: 'SUCCEEDED', status: 'active' }));
    },
  );

  it('a run whose job runs out of retries while the database stays away is failed by the orphan check, saying so', async () => {
    const integration = await createIntegration(t, sub, 'gohighlevel', { ...GHL_CONFIG, locationId: 'loc_GONE3' });
    await activate(t, sub, integration.id);
    ghl.on('POST', '/contacts/search', () => ({
      status: 200,
      body: { contacts: [7].map((i) => ({ ...contact(i), id: `gone3-${i}`, locationId: 'loc_GONE3' })), total: 1 },
    }));
    await t.sql.query(
      "UPDATE busy_settings SET failures = nextval('busy_inserts') + 1000, code = '57P01', message = 'terminating connection due to administrator command'",
    );
    const started = await t.http.post(`/api/integrations/${integration.id}/sync`).set('authorization', admin);
    expect(started.status).toBe(202);
    // every attempt (pg-boss's retryLimit of 5 after the first) meets the same: then the job has failed
    await waitFor(
      async () => {
        const job = await t.sql.query<{ state: string }>(
          "SELECT state FROM pgboss.job WHERE name = 'integration-sync' AND id::text = $1",
          [started.body.jobId],
        );
        return job.rows[0]?.state === 'failed' ? true : undefined;
      },
      60_000,
      'the sync job to fail',
    );
    const running = await t.sql.query('SELECT status, error FROM sync_runs WHERE id = $1', [started.body.runId]);
    expect(running.rows[0]).toEqual({
      status: 'RUNNING',
      error: expect.stringMatching(/^interrupted: the database could not be reached \(terminating connection/),
    });
    await t.app.get(SyncProcessor).failOrphans(new Date(Date.now() + 120_000));
    const failed = await t.sql.query('SELECT status, error FROM sync_runs WHERE id = $1', [started.body.runId]);
    expect(failed.rows[0]).toEqual({
      status: 'FAILED',
      error: expect.stringMatching(
        /^the run's job ended \(failed\) before the run did: its worker stopped \(last note: interrupted: the database/,
      ),
    });
    await t.sql.query('UPDATE busy_settings SET failures = 0');
  });
});
