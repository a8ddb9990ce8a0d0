// JobsService against PostgreSQL: the leases of heartbeat jobs when their worker dies. A job is created
// with a long expire_in that its worker's first heartbeat shortens to the lease; a worker killed between
// its fetch and that first heartbeat must not leave the job active for hours (a sync run RUNNING that
// long: seen in the cluster test when a worker was SIGKILLed just after fetching the run's next job).
// The shared fixtures are in test/support/jobs-medium.ts.
import PgBoss from 'pg-boss';
import { Db } from '../database/db';
import { JobDefinition } from './job-definition';
import { JobsService } from './jobs.service';
import { ECHO, EchoHandler, jobsBooter, seen, TestJobs, useJobsDatabase } from '../../test/support/jobs-medium';
import { waitFor } from '../../test/support/webhooks';

const HEARTBEAT_ECHO: JobDefinition<{ n: string }> = { ...ECHO, heartbeat: true, retryLimit: 2, retryDelaySeconds: 0 };
const LEASE = { JOB_LEASE_SECONDS: '2', JOBS_MAINTENANCE_SECONDS: '1', JOBS_POLL_SECONDS: '1' };

const db = useJobsDatabase();
const boot = jobsBooter(db);

interface JobRow {
  state: string;
  retry_count: number;
  expire_seconds: number;
}

async function jobRow(app: { get(type: typeof Db): Db }, id: string): Promise<JobRow | undefined> {
  const rows = await app.get(Db).sql<JobRow>(
    {
      name: 'test_job_row',
      text: `SELECT state::text, retry_count, extract(epoch FROM expire_in)::int AS expire_seconds
               FROM pgboss.job WHERE id = $1::uuid`,
    },
    [id],
  );
  return rows[0];
}

/** A worker that fetches a job and dies before its handler starts: pg-boss's own fetch, then nothing. */
async function fetchAndDie(name: string): Promise<string> {
  const boss = new PgBoss({ connectionString: db().url, supervise: false, schedule: false });
  await boss.start();
  try {
    const [job] = await boss.fetch(name);
    if (!job) throw new Error(`no ${name} job to fetch`);
    return job.id;
  } finally {
    await boss.stop({ graceful: false, wait: true });
  }
}

describe('JobsService: heartbeat jobs whose worker died', () => {
  it('a job fetched by a worker that died before its first heartbeat is retried about a lease later, and run once', async () => {
    // queued by an API process (no pollers), fetched by a worker that dies at once
    const api = await boot({ 'test-echo': HEARTBEAT_ECHO }, [EchoHandler], { ...LEASE, APP_ROLE: 'api' });
    let id: string;
    try {
      await api.get<JobsService<TestJobs>>(JobsService).send('test-echo', { n: 'orphan' });
      id = await fetchAndDie('test-echo');
      // the fetch left it active with the long expiry a heartbeat shortens: nothing would retry it for hours
      expect(await jobRow(api, id)).toEqual({ state: 'active', retry_count: 0, expire_seconds: 6 * 3600 });
    } finally {
      await api.close();
    }

    const worker = await boot({ 'test-echo': HEARTBEAT_ECHO }, [EchoHandler], { ...LEASE, APP_ROLE: 'worker' });
    try {
      await waitFor(async () => seen.length > 0, 20_000, 'the orphaned job to run again');
      expect(seen).toEqual([{ n: 'orphan' }]);
      await waitFor(async () => (await jobRow(worker, id))?.state === 'completed', 10_000, 'the job completed');
      expect(await jobRow(worker, id)).toMatchObject({ state: 'completed', retry_count: 1 });
    } finally {
      await worker.close();
    }
  });

  it('leaves alone a job its worker renews, and one fetched less than a lease ago', async () => {
    const app = await boot({ 'test-echo': HEARTBEAT_ECHO }, [EchoHandler], { ...LEASE, APP_ROLE: 'api' });
    try {
      const jobs = app.get<JobsService<TestJobs>>(JobsService);
      await jobs.send('test-echo', { n: 'fresh' });
      const fresh = await fetchAndDie('test-echo');
      await jobs.send('test-echo', { n: 'renewed' });
      const renewed = await fetchAndDie('test-echo');
      // as its live worker's heartbeat leaves it: one lease from now, the job started 5 s ago
      await app.get(Db).execute(
        {
          name: 'test_renewed',
          text: `UPDATE pgboss.job SET started_on = now() - interval '5 seconds', expire_in = interval '7 seconds' WHERE id = $1::uuid`,
        },
        [renewed],
      );
      expect(await jobs.expireUnrenewed()).toBe(0);
      expect(await jobRow(app, fresh)).toMatchObject({ state: 'active', expire_seconds: 6 * 3600 });
      expect(await jobRow(app, renewed)).toMatchObject({ state: 'active', expire_seconds: 7 });

      // the unrenewed one, once a lease (2 s) has passed since its fetch, gets the lease as its expiry
      await app.get(Db).execute(
        {
          name: 'test_fetched_earlier',
          text: `UPDATE pgboss.job SET started_on = now() - interval '3 seconds' WHERE id = $1::uuid`,
        },
        [fresh],
      );
      expect(await jobs.expireUnrenewed()).toBe(1);
      expect(await jobRow(app, fresh)).toMatchObject({ state: 'active', expire_seconds: 2 });
      expect(await jobRow(app, renewed)).toMatchObject({ state: 'active', expire_seconds: 7 });
    } finally {
      await app.close();
    }
  });
});
