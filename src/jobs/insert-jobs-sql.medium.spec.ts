import { readFileSync } from 'node:fs';
import PgBoss from 'pg-boss';
import { Db } from '../database/db';
import { insertJobsSql } from './insert-jobs-sql';
import { JobsService } from './jobs.service';
import { createMediumApp, MediumApp } from '../../test/support/medium-app';

// What the job row of each kind must agree on (ids, timestamps and the payload's own id aside).
const COLUMNS = `name, priority, state, retry_limit, retry_delay, retry_backoff, expire_in, policy, dead_letter,
  singleton_key, keep_until - start_after AS retention, start_after <= now() AS startable`;

describe('insertJobsSql, pinned against the installed pg-boss', () => {
  let m: MediumApp;

  beforeAll(async () => {
    m = await createMediumApp();
  });
  afterAll(async () => {
    await m.close();
  });

  it('mirrors pg-boss 10 (the version whose insert it copies)', () => {
    const manifest = readFileSync(require.resolve('pg-boss/package.json'), 'utf8');
    const { version } = JSON.parse(manifest) as { version: string };
    expect(version).toMatch(/^10\./);
  });

  it('writes the same job row as pg-boss send, which pg-boss then fetches and completes', async () => {
    const sent = await m.app.get<JobsService>(JobsService).send('webhook-process', { eventId: 41n });
    const [written] = await m.app.get(Db).sql<{ id: string }>(
      {
        text: `WITH src AS (SELECT 42::bigint AS id), job AS (${insertJobsSql('webhook-process', {
          from: 'src',
          payload: { eventId: 'src.id::text' },
        })}) SELECT id::text FROM job`,
      },
      [],
    );
    const rows = await m.sql.query(`SELECT id::text, data, ${COLUMNS} FROM pgboss.job WHERE id = ANY($1::uuid[])`, [
      [sent, written.id],
    ]);
    const byId = new Map(rows.rows.map((r: { id: string }) => [r.id, r]));
    const { id: _a, data: sentData, ...sentRow } = byId.get(sent) as Record<string, unknown>;
    const { id: _b, data: writtenData, ...writtenRow } = byId.get(written.id) as Record<string, unknown>;
    expect(writtenRow).toEqual(sentRow);
    expect([sentData, writtenData]).toEqual([{ eventId: '41' }, { eventId: '42' }]);

    const boss = new PgBoss({ connectionString: m.db.url, supervise: false, schedule: false });
    await boss.start();
    try {
      const fetched = await boss.fetch<{ eventId: string }>('webhook-process', { batchSize: 10 });
      expect(fetched.map((j) => j.data.eventId).sort()).toEqual(['41', '42']);
      await boss.complete(
        'webhook-process',
        fetched.map((j) => j.id),
      );
      const done = await boss.getJobById('webhook-process', written.id);
      expect(done?.state).toBe('completed');
    } finally {
      await boss.stop({ graceful: false, wait: true });
    }
  });
});
