import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import PgBoss from 'pg-boss';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import type { PrismaTx } from '../database/prisma.service';
import { JOB_HANDLER, JobDefinition, JobHandlerFn } from './job-definition';

export const JOB_DEFINITIONS_TOKEN = Symbol('JOB_DEFINITIONS');

export interface SendOptions {
  /** Enqueue inside this Prisma interactive transaction: the job exists only if it commits. */
  tx?: PrismaTx;
  startAfter?: Date | number;
  singletonKey?: string;
}

/** pg-boss through a Prisma transaction's connection, so job and rows commit together. */
function txDb(tx: PrismaTx): PgBoss.Db {
  return {
    executeSql: async (text: string, values: unknown[]) => {
      const rows: unknown = await tx.$queryRawUnsafe(text, ...values);
      return { rows: Array.isArray(rows) ? rows : [] };
    },
  };
}

/**
 * The job queue (pg-boss on the application database). Handlers are methods marked @JobHandler;
 * workers run only when APP_ROLE is `all` or `worker`.
 */
@Injectable()
export class JobsService implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(JobsService.name);
  private readonly handlers = new Map<string, JobHandlerFn>();
  private readonly workerIds = new Map<string, string>();
  private boss?: PgBoss;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(JOB_DEFINITIONS_TOKEN) private readonly definitions: readonly JobDefinition[],
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  async onModuleInit(): Promise<void> {
    this.registerHandlers();
    const boss = new PgBoss({
      connectionString: this.config.databaseUrl,
      max: 4,
      application_name: `integration-hub-${this.config.role}`,
      // maintenance (expiring dead workers' leases, archiving) runs where the workers run
      supervise: this.config.role !== 'api',
      schedule: this.config.role !== 'api',
      maintenanceIntervalSeconds: this.config.jobs.maintenanceSeconds,
    });
    boss.on('error', (err: unknown) => this.logger.error({ err }, 'job queue error'));
    await boss.start();
    this.boss = boss;
    for (const def of this.definitions) await this.ensureQueue(def);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.role === 'api') return;
    for (const def of this.definitions) {
      const handler = this.handlers.get(def.name);
      if (handler) await this.startWorker(def, handler);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const boss = this.boss;
    this.boss = undefined;
    // graceful: active jobs get time to finish; unfinished ones return after their lease
    await boss?.stop({ graceful: true, wait: true, timeout: Math.max(1000, this.config.shutdownTimeoutMs - 2000) });
  }

  async send(name: string, data: object, options: SendOptions = {}): Promise<string> {
    const boss = this.requireBoss();
    if (!this.definitions.some((d) => d.name === name)) throw new Error(`unknown job type ${name}`);
    const id = await boss.send(name, data, {
      ...(options.tx ? { db: txDb(options.tx) } : {}),
      ...(options.startAfter !== undefined ? { startAfter: options.startAfter } : {}),
      ...(options.singletonKey ? { singletonKey: options.singletonKey } : {}),
    });
    if (!id) throw new Error(`job ${name} was not enqueued`);
    // in an all-in-one process, wake the local worker instead of waiting for its next poll
    if (!options.tx && !options.startAfter) this.wake(name);
    return id;
  }

  /**
   * SQL that enqueues, for every row of `source` (a CTE name), one job on the queue named by
   * `queueParam` (a $n placeholder) with data { eventId: <idExpr> }. It is meant for a CTE, so rows and
   * their jobs are written by one statement (one round trip, one transaction). It mirrors pg-boss 10's
   * own insert (queue defaults for expiry, retention and retries); the pinned version keeps it true,
   * and the webhook e2e tests prove jobs written this way are fetched and completed by pg-boss.
   */
  insertJobSql(source: string, idExpr: string, queueParam: string): string {
    return `INSERT INTO pgboss.job (id, name, data, priority, start_after, expire_in, keep_until, retry_limit, retry_delay, retry_backoff, policy)
      SELECT gen_random_uuid(), q.name, jsonb_build_object('eventId', ${idExpr}), 0, now(),
             COALESCE(q.expire_seconds, 900) * interval '1s',
             now() + COALESCE(q.retention_minutes * interval '1 minute', interval '14 days'),
             COALESCE(q.retry_limit, 2),
             CASE WHEN COALESCE(q.retry_backoff, false) THEN GREATEST(COALESCE(q.retry_delay, 0), 1) ELSE COALESCE(q.retry_delay, 0) END,
             COALESCE(q.retry_backoff, false), q.policy
      FROM ${source} JOIN pgboss.queue q ON q.name = ${queueParam}
      RETURNING id`;
  }

  /** Wakes the local worker of a queue (after a transaction that enqueued to it has committed). */
  wake(name: string): void {
    const workerId = this.workerIds.get(name);
    if (workerId) this.boss?.notifyWorker(workerId);
  }

  /** A cron schedule (pg-boss keeps one per name; worker processes run it once per tick cluster-wide). */
  async schedule(name: string, cron: string): Promise<void> {
    await this.requireBoss().schedule(name, cron, {}, { tz: 'UTC' });
  }

  async ping(): Promise<void> {
    await this.requireBoss().getDb().executeSql('SELECT 1', []);
  }

  async getJob(name: string, id: string): Promise<{ state: string; retryCount: number } | null> {
    const job = await this.requireBoss().getJobById<unknown>(name, id, { includeArchive: true });
    return job ? { state: job.state, retryCount: job.retryCount } : null;
  }

  async queueSize(name: string): Promise<number> {
    return this.requireBoss().getQueueSize(name);
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
        this.handlers.set(name, (data, job) => Promise.resolve(fn.call(instance, data, job)));
      }
    }
    for (const def of this.definitions) {
      if (!this.handlers.has(def.name)) problems.push(`job type "${def.name}" has no handler`);
    }
    for (const name of this.handlers.keys()) {
      if (!this.definitions.some((d) => d.name === name)) problems.push(`handler for undeclared job type "${name}"`);
    }
    if (problems.length) throw new Error(`Job registry is invalid: ${problems.join('; ')}`);
  }

  private async ensureQueue(def: JobDefinition): Promise<void> {
    const boss = this.requireBoss();
    const options: PgBoss.Queue = {
      name: def.name,
      retryLimit: def.retryLimit,
      retryDelay: def.retryDelaySeconds,
      retryBackoff: def.retryBackoff,
      expireInSeconds: this.config.jobs.leaseSeconds ?? def.expireInSeconds,
    };
    if (await boss.getQueue(def.name)) {
      await boss.updateQueue(def.name, options);
      return;
    }
    try {
      await boss.createQueue(def.name, options);
    } catch (err) {
      // another process created it between our check and our insert
      if (!(await boss.getQueue(def.name))) throw err;
    }
  }

  private async startWorker(def: JobDefinition, handler: JobHandlerFn): Promise<void> {
    const boss = this.requireBoss();
    let workerId = '';
    workerId = await boss.work<unknown>(
      def.name,
      { batchSize: def.batchSize, pollingIntervalSeconds: this.config.jobs.pollingIntervalSeconds },
      async (jobs) => {
        const results = await Promise.allSettled(jobs.map((job) => handler(job.data, { id: job.id, name: job.name })));
        const failed = results.flatMap((r, i) =>
          r.status === 'rejected' ? [{ job: jobs[i], reason: r.reason as unknown }] : [],
        );
        for (const { job, reason } of failed) {
          const message = reason instanceof Error ? reason.message : String(reason);
          this.logger.warn({ job: job.name, jobId: job.id, reason: message }, 'job failed');
          await boss.fail(job.name, job.id, { message });
        }
        // a full batch means more may be waiting: fetch again at once rather than after the poll interval
        if (jobs.length === def.batchSize) boss.notifyWorker(workerId);
      },
    );
    this.workerIds.set(def.name, workerId);
  }
}
