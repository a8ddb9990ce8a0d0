// The process's LISTEN session (PgNotifications, through IntegrationChanges): a lost session drops
// every cached integration and comes back on its own; a shutdown while it is away leaves no timer
// and opens no connection afterwards.
import { createMediumApp, MediumApp } from '../../test/support/medium-app';
import { IntegrationChanges } from '../modules/integrations/integration-changes';

const LISTEN_APP = 'integration-hub-api-listen';

async function listenPids(m: MediumApp): Promise<number[]> {
  const { rows } = await m.sql.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2',
    [new URL(m.db.url).pathname.slice(1), LISTEN_APP],
  );
  return rows.map((r) => r.pid);
}

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('PgNotifications', () => {
  it('tells every change, drops everything when its session is killed, and listens again', async () => {
    const m = await createMediumApp();
    try {
      const told: Array<number | null> = [];
      const changes = m.app.get(IntegrationChanges);
      changes.subscribe((id) => told.push(id));
      const [first] = await listenPids(m);
      expect(first).toEqual(expect.any(Number));

      // another process's write: only the notification can tell this one
      await m.sql.query("SELECT pg_notify('integration_changes', '41')");
      expect(
        await until(
          async () => [...told],
          (t) => t.includes(41),
        ),
      ).toContain(41);

      told.length = 0;
      await m.sql.query('SELECT pg_terminate_backend($1)', [first]);
      // two resets: one for the loss, one once the new session's LISTEN has taken effect. The new
      // session shows in pg_stat_activity as soon as it connects, before its LISTEN: a notification
      // sent then is (rightly) not delivered, and the return's reset covers it
      const nulls = (t: Array<number | null>) => t.filter((id) => id === null).length;
      expect(
        nulls(
          await until(
            async () => [...told],
            (t) => nulls(t) >= 2,
          ),
        ),
      ).toBe(2);
      const back = await until(
        () => listenPids(m),
        (pids) => pids.length === 1 && pids[0] !== first,
      );
      expect(back).toHaveLength(1);
      expect(back[0]).not.toBe(first);

      await m.sql.query("SELECT pg_notify('integration_changes', '42')");
      expect(
        await until(
          async () => [...told],
          (t) => t.includes(42),
        ),
      ).toContain(42);
    } finally {
      await m.close();
    }
  });

  it('a shutdown while the session is away cancels the reconnect', async () => {
    const m = await createMediumApp();
    const told: Array<number | null> = [];
    m.app.get(IntegrationChanges).subscribe((id) => told.push(id));
    const [pid] = await listenPids(m);
    await m.sql.query('SELECT pg_terminate_backend($1)', [pid]);
    // closed once the loss is noticed: the first retry is then at most 250 ms away
    expect(
      await until(
        async () => [...told],
        (t) => t.includes(null),
      ),
    ).toContain(null);
    await m.app.close();
    // a closed session's backend may linger a moment on a loaded machine; none may come back after it
    expect(
      await until(
        () => listenPids(m),
        (p) => p.length === 0,
      ),
    ).toEqual([]);
    await new Promise((r) => setTimeout(r, 600));
    expect(await listenPids(m)).toEqual([]);
    await m.sql.end();
    await m.db.drop();
  });
});
