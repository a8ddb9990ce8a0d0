import { Inject, Injectable, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { Clock, CLOCK, systemClock } from '../../common/clock';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { TransactionRunner } from '../../database/transaction-runner';
import { JobHandler } from '../../jobs/job-definition';
import { JobsService } from '../../jobs/jobs.service';
import { AnalyticsMaintenanceRepository } from './analytics-maintenance.repository';

/**
 * Folds the rollup's write shards (migration 20261202400100) of past days back into one row per
 * counter, hourly, so long-range reads sum one row per (day, dimension, metric). Days before
 * yesterday in UTC are past in every time zone's calendar but today's and yesterday's.
 */
@Injectable()
export class AnalyticsCompactProcessor implements OnApplicationBootstrap {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: AnalyticsMaintenanceRepository,
    private readonly transactions: TransactionRunner,
    private readonly jobs: JobsService,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.role !== 'api') await this.jobs.schedule('analytics-compact', '17 * * * *');
  }

  @JobHandler('analytics-compact')
  async tick(): Promise<void> {
    const yesterday = new Date(this.clock.now() - 86_400_000).toISOString().slice(0, 10);
    await this.compact(yesterday);
  }

  /** Folds every sub-account's shard rows of days before `before` (YYYY-MM-DD); rows written to shard 0. */
  async compact(before: string): Promise<number> {
    let total = 0;
    // one transaction per sub-account: its shard locks are held only while its rows move
    for (const sub of await this.repository.unfolded(before))
      total += await this.transactions.runSql(() => this.repository.compact(sub, before));
    return total;
  }
}
