import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleInit,
} from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import PgBoss from 'pg-boss';
import { guardUnawaitedSettlements } from './pg-boss-settlements';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Db } from '../database/db';
import { TransactionRunner } from '../database/transaction-runner';
import { isDeadlock } from '../database/deadlock-retry';
import { JobQueueIndexes } from './job-queue-indexes';
import { InvalidJobPayload, JOB_HANDLER, JobDefinition, JobDefinitions, JobHandlerFn } from './job-definition';
import type { JobPayloads } from './job-types';

export const JOB_DEFINITIONS_TOKEN = Symbol('JOB_DEFINITIONS');

// pg-boss 10 expires an active job when started_on + expire_in has passed (plans.js, failJobsByTimeout):
// a heartbeat moves that end to one lease from now, for a job that is still active. Its worker also
// fails a job locally once the expire_in it was fetched with has passed, so jobs with a heartbeat are
// created with this long one (their longest possible run), and the first heartbeat, before the handler
// starts, shortens it to the lease.
const HEARTBEAT_JOB_MAX_SECONDS = 6 * 3600;
/** Longest wait for a connection of pg-boss's pool (its pollers, sends outside a transaction, maintenance). */
const JOBS_CONNECTION_TIMEOUT_MS = 5000;
const QUEUE_CREATE_ATTEMPTS = 5;
const RENEW_LEASE = {
  name: 'jobs_renew_lease_v1',
  text: `UPDATE pgboss.job SET expire_in = (now() - started_on) + $3::integer * interval '1 second'
         WHERE name = $1 AND id = $2::uuid AND state = 'active'`,
};

// A worker that died after fetching a heartbeat job but before its first renewal (the fetch has
// committed, the handler has not started) leaves the job active with that long expire_in: its run
// would wait hours. After each of pg-boss's maintenance runs (one process per interval, cluster-wide)
// such a job, fetched more than a lease ago and never renewed, gets the lease as its expire_in, so
// the next maintenance retries it like any job whose worker stopped renewing. Were its worker alive
// but unable to renew for a whole lease, the job gets a second runner, as after any missed lease:
// a heartbeat job's handler fences its work (sync runs claim the run per attempt).
const EXPIRE_UNRENEWED = {
  name: 'jobs_expire_unrenewed_v1',
  text: `UPDATE pgboss.job SET expire_in = $2::integer * interval '1 second'
         WHERE name = $1 AND state = 'active' AND expire_in = $3::integer * interval '1 second'
           AND started_on < now() - $2::integer * interval '1 second'`,
};

export interface SendOptions {
  startAfter?: Date | number;
  singletonKey?: string;
}

/**
 * The job queue (pg-boss on the application database), typed by a map of job names to payloads
 * (JobPayloads for the application). Handlers are methods marked @JobHandler; workers run only when
 * APP_ROLE is `all` or `worker`. A `send` inside TransactionRunner.run is part of that transaction.
 */
@Injectable()
export class JobsService<M = JobPayloads> implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(JobsService.name);
  private readonly handlers = new Map<string, JobHandlerFn>();
  private readonly workerIds = new Map<string, string[]>();
  private boss?: PgBoss;
  /** Batches our handlers are working on: shutdown waits for them (see beforeApplicationShutdown). */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly queueIndexes: JobQueueIndexes;
  /** pg-boss writing through the caller's transaction, so the job exists only if it commits. */
  private readonly inTransaction: PgBoss.Db = {
    executeSql: async (text: string, values: unknown[]) => ({ rows: await this.db.sql({ text }, values) }),
  };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(JOB_DEFINITIONS_TOKEN) private readonly definitions: JobDefinitions<M>,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly db: Db,
    private readonly transactions: TransactionRunner,
  ) {
    this.queueIndexes = new JobQueueIndexes(db, this.logger);
  }

  async onModuleInit(): Promise<void> {
    this.registerHandlers();
    // connectionTimeoutMillis is not in pg-boss's types, but pg-boss hands its options to pg's Pool as they are
    const options: PgBoss.ConstructorOptions & { connectionTimeoutMillis: number } = {
      connectionString: this.config.databaseUrl,
      max: this.config.jobs.poolSize,
      application_name: `integration-hub-${this.config.role}-jobs`,
      // maintenance (expiring dead workers' leases, archiving) runs where the workers run
      supervise: this.config.role !== 'api',
      schedule: this.config.role !== 'api',
      maintenanceIntervalSeconds: this.config.jobs.maintenanceSeconds,
      // pg-pool never answers a request still waiting for a connection when the pool ends: a poller
      // caught there at shutdown would wait forever (and pg-boss with it, polling for its stop every
      // second). With a bound it fails, as a wait this long on the job pool should, and stops.
      connectionTimeoutMillis: JOBS_CONNECTION_TIMEOUT_MS,
    };
    guardUnawaitedSettlements();
    const boss = new PgBoss(options);
    boss.on('error', (err: unknown) => this.logger.error({ err }, 'job queue error'));
    boss.on('maintenance', () => this.track(this.expireUnrenewed()));
    await boss.start();
    this.boss = boss;
    for (const [name, def] of this.entries()) await this.ensureQueue(name, def);
    if (this.config.role !== 'api') this.queueIndexes.build();
  }

  /** Resolves once this process's build of the fetch-order indexes has ended (built, skipped or failed). */
  async fetchOrderIndexesSettled(): Promise<void> {
    await this.queueIndexes.settled();
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.role === 'api') return;
    for (const [name, def] of this.entries()) {
      const handler = this.handlers.get(name);
      if (handler) for (let i = 0; i < (def.workers ?? 1); i++) await this.startWorker(name, def, handler);
    }
  }

  // before the database pool closes: active jobs get time to finish; unfinished ones return after their lease
  async beforeApplicationShutdown(): Promise<void> {
    await this.queueIndexes.cancel();
    const boss = this.boss;
    this.boss = undefined;
    // the whole of it within SHUTDOWN_TIMEOUT_MS, less a second for the pools
    const deadline = Date.now() + this.config.shutdownTimeoutMs - 1000;
    await boss?.stop({ graceful: true, wait: true, timeout: Math.max(1000, this.config.shutdownTimeoutMs - 2000) });
    // A worker whose fetch was in flight when stop() began gets its jobs after pg-boss stopped
    // waiting for work in progress; our handler then runs on. pg-boss also keeps polling (every
    // second, fire and forget) until each such worker has stopped. Let those batches finish, with
    // what is left of the shutdown budget (2 s at least), before the pools close, so nothing of
    // pg-boss or of ours outlives the application: a flat 2 s let a slower late batch run on, and
    // pg-boss's polling for it then outlived a test file (CI: "require … after the Jest environment
    // has been torn down", from pg-boss's manager).
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.inFlight]),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(2000, deadline - Date.now())).unref())),
      ]);
      clearTimeout(timer);
    }
    // also with no batch in flight: a poll still queued for a connection of the ended pool keeps its
    // worker (and pg-boss's polling for it) alive until connectionTimeoutMillis fails it
    await JobsService.settled(boss);
  }

  /** Until no request waits for a connection of pg-boss's own pool (see connectionTimeoutMillis), at most that long. */
  private static async settled(boss: PgBoss | undefined): Promise<void> {
    const db: unknown = boss?.getDb();
    const pool: unknown = typeof db === 'object' && db !== null && 'pool' in db ? db.pool : undefined;
    // pg's Pool (pg-boss's Db keeps it as `pool`): `waitingCount` is its public count of queued requests
    const waiting = () =>
      typeof pool === 'object' && pool !== null && 'waitingCount' in pool && typeof pool.waitingCount === 'number'
        ? pool.waitingCount
        : 0;
    const deadline = Date.now() + JOBS_CONNECTION_TIMEOUT_MS + 500;
    while (waiting() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  }

  /** See EXPIRE_UNRENEWED: heartbeat jobs whose worker never renewed them expire one lease after their fetch. */
  async expireUnrenewed(): Promise<number> {
    let expired = 0;
    for (const [name, def] of this.entries()) {
      if (!def.heartbeat) continue;
      const leaseSeconds = this.config.jobs.leaseSeconds ?? def.expireInSeconds;
      try {
        expired += await this.db.execute(EXPIRE_UNRENEWED, [name, leaseSeconds, HEARTBEAT_JOB_MAX_SECONDS]);
      } catch (err) {
        this.logger.warn({ job: name, err }, 'expiring unrenewed jobs failed');
      }
    }
    if (expired > 0) this.logger.warn({ expired }, 'jobs fetched by a worker that never started them: retried');
    return expired;
  }

  /** Work of ours started outside a batch: shutdown waits for it before the pools close. */
  private track(work: Promise<unknown>): void {
    const done = work.then(() => undefined);
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
  }

  /** Enqueues a job; inside a transaction it commits or rolls back with it (and wakes the worker after the commit). */
  async send<K extends keyof M & string>(name: K, payload: M[K], options: SendOptions = {}): Promise<string> {
    const boss = this.requireBoss();
    const def = this.definition(name);
    const inTransaction = this.transactions.active;
    const id = await boss.send(name, def.codec.encode(payload), {
      ...(inTransaction ? { db: this.inTransaction } : {}),
      ...(options.startAfter !== undefined ? { startAfter: options.startAfter } : {}),
      ...(options.singletonKey ? { singletonKey: options.singletonKey } : {}),
    });
    if (!id) throw new Error(`job ${name} was not enqueued`);
    // in an all-in-one process, wake the local worker instead of waiting for its next poll
    if (options.startAfter === undefined) this.transactions.afterCommit(() => this.wake(name));
    return id;
  }

  /** Wakes the local worker of a queue (after a statement that enqueued to it has committed). */
  wake(name: keyof M & string): void {
    for (const workerId of this.workerIds.get(name) ?? []) this.boss?.notifyWorker(workerId);
  }

  /** A cron schedule (pg-boss keeps one per name; worker processes run it once per tick cluster-wide). */
  async schedule(name: keyof M & string, cron: string): Promise<void> {
    await this.requireBoss().schedule(name, cron, {}, { tz: 'UTC' });
  }

  /** Removes a cron schedule (one switched off by configuration: pg-boss would keep firing the stored one). */
  async unschedule(name: keyof M & string): Promise<void> {
    await this.requireBoss().unschedule(name);
  }

  async ping(): Promise<void> {
    await this.requireBoss().getDb().executeSql('SELECT 1', []);
  }

  async getJob(name: keyof M & string, id: string): Promise<{ state: string; retryCount: number } | null> {
    const job = await this.requireBoss().getJobById<unknown>(name, id, { includeArchive: true });
    return job ? { state: job.state, retryCount: job.retryCount } : null;
  }

  async queueSize(name: keyof M & string): Promise<number> {
    return this.requireBoss().getQueueSize(name);
  }

  private entries(): Array<[string, JobDefinition<unknown>]> {
    return Object.entries<JobDefinition<unknown>>(this.definitions);
  }

  private definition(name: string): JobDefinition<unknown> {
    const def = this.entries().find(([n]) => n === name)?.[1];
    if (!def) throw new Error(`unknown job type ${name}`);
    return def;
  }

  private requireBoss(): PgBoss {
    if (!this.boss) throw new Error('job queue is not started');
    return this.boss;
  }

  private registerHandlers(): void {
    const problems: string[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object') continue;
      const prototype: unknown = Object.getPrototypeOf(instance);
      if (!prototype || typeof prototype !== 'object') continue;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const fn: unknown = Reflect.get(instance, method);
        if (typeof fn !== 'function') continue;
        const name: unknown = Reflect.getMetadata(JOB_HANDLER, fn);
        if (typeof name !== 'string') continue;
        if (this.handlers.has(name)) problems.push(`job type "${name}" has two handlers`);
        this.handlers.set(name, (payload, job) => Promise.resolve(fn.call(instance, payload, job)));
      }
    }
    const declared = new Set(this.entries().map(([name]) => name));
    for (const name of declared) if (!this.handlers.has(name)) problems.push(`job type "${name}" has no handler`);
    for (const name of this.handlers.keys()) {
      if (!declared.has(name)) problems.push(`handler for undeclared job type "${name}"`);
    }
    if (problems.length) throw new Error(`Job registry is invalid: ${problems.join('; ')}`);
  }

  private async ensureQueue(name: string, def: JobDefinition<unknown>): Promise<void> {
    const boss = this.requireBoss();
    const options: PgBoss.Queue = {
      name,
      retryLimit: def.retryLimit,
      retryDelay: def.retryDelaySeconds,
      retryBackoff: def.retryBackoff,
      expireInSeconds: def.heartbeat
        ? HEARTBEAT_JOB_MAX_SECONDS
        : (this.config.jobs.leaseSeconds ?? def.expireInSeconds),
    };
    for (let attempt = 1; ; attempt++) {
      if (await boss.getQueue(name)) {
        await boss.updateQueue(name, options);
        return;
      }
      try {
        await boss.createQueue(name, options);
        return;
      } catch (err) {
        // another process created it between our check and our insert
        if (await boss.getQueue(name)) return;
        // Processes of a new deployment starting together create the same queues at once, and
        // pg-boss's create_queue (a partition created and attached) then deadlocks: PostgreSQL aborts
        // one, whose process would not start. It tries again once the other has committed.
        if (!isDeadlock(err) || attempt >= QUEUE_CREATE_ATTEMPTS) throw err;
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt + Math.random() * 100));
      }
    }
  }

  /** The queue boundary: each payload is decoded once here; one that cannot be valid is dropped with a warning. */
  private async runJob(def: JobDefinition<unknown>, handler: JobHandlerFn, job: PgBoss.Job<unknown>): Promise<void> {
    let payload: unknown;
    try {
      payload = def.codec.decode(job.data);
    } catch (err) {
      if (!(err instanceof InvalidJobPayload)) throw err;
      this.logger.warn({ job: job.name, jobId: job.id, reason: err.message }, 'job dropped: invalid payload');
      return;
    }
    const leaseSeconds = this.config.jobs.leaseSeconds ?? def.expireInSeconds;
    const renew = (): Promise<unknown> =>
      this.db
        .sql(RENEW_LEASE, [job.name, job.id, leaseSeconds])
        .catch((err: unknown) => this.logger.warn({ job: job.name, jobId: job.id, err }, 'lease renewal failed'));
    if (def.heartbeat) await renew();
    const heartbeat = def.heartbeat ? setInterval(() => void renew(), (leaseSeconds * 1000) / 3) : undefined;
    heartbeat?.unref();
    try {
      await handler(payload, { id: job.id, name: job.name });
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async startWorker(name: string, def: JobDefinition<unknown>, handler: JobHandlerFn): Promise<void> {
    const boss = this.requireBoss();
    let workerId = '';
    workerId = await boss.work<unknown>(
      name,
      { batchSize: def.batchSize, pollingIntervalSeconds: this.config.jobs.pollingIntervalSeconds },
      async (jobs) => {
        const batch = this.runBatch(boss, def, handler, jobs, () => workerId);
        this.inFlight.add(batch);
        try {
          await batch;
        } finally {
          this.inFlight.delete(batch);
        }
      },
    );
    this.workerIds.set(name, [...(this.workerIds.get(name) ?? []), workerId]);
  }

  private async runBatch(
    boss: PgBoss,
    def: JobDefinition<unknown>,
    handler: JobHandlerFn,
    jobs: PgBoss.Job<unknown>[],
    workerId: () => string,
  ): Promise<void> {
    // a full batch: a backlog waits behind it, which the planner should see (job-queue-indexes.ts)
    if (jobs.length === def.batchSize) {
      const analyzing = this.queueIndexes.analyze(jobs[0].name);
      if (analyzing) this.track(analyzing);
    }
    const results = await Promise.allSettled(jobs.map((job) => this.runJob(def, handler, job)));
    const failed = results.flatMap((r, i) =>
      r.status === 'rejected' ? [{ job: jobs[i], reason: r.reason as unknown }] : [],
    );
    for (const { job, reason } of failed) {
      const message = reason instanceof Error ? reason.message : String(reason);
      this.logger.warn({ job: job.name, jobId: job.id, reason: message }, 'job failed');
      await boss.fail(job.name, job.id, { message });
    }
    // a full batch means more may be waiting: fetch again at once rather than after the poll interval
    if (jobs.length === def.batchSize) boss.notifyWorker(workerId());
  }
}
