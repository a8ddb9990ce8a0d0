import { Inject, Injectable, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { Clock, CLOCK, systemClock } from '../../common/clock';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { JobHandler } from '../../jobs/job-definition';
import { JobsService } from '../../jobs/jobs.service';
import { AnalyticsMaintenanceRepository } from './analytics-maintenance.repository';

/** Leads rewritten per statement (each statement its own short transaction). */
const DECAY_BATCH = 5000;

/**
 * Keeps the stored lead score current as its recency decays (migration 20261202400000): every five
 * minutes, the leads whose next score change (score_refresh_at) has passed get their score as of now.
 * GET /api/leads keeps sorting and filtering on the indexed column; a score is at most one tick late.
 */
@Injectable()
export class LeadScoreDecayProcessor implements OnApplicationBootstrap {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: AnalyticsMaintenanceRepository,
    private readonly jobs: JobsService,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.role !== 'api') await this.jobs.schedule('lead-score-decay', '*/5 * * * *');
  }

  @JobHandler('lead-score-decay')
  async tick(): Promise<void> {
    await this.decay(new Date(this.clock.now()));
  }

  /** Rewrites every score that changed by `now`, in batches; how many leads were rewritten. */
  async decay(now: Date): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.repository.decayScores(now, DECAY_BATCH);
      total += n;
      if (n < DECAY_BATCH) return total;
    }
  }
}
