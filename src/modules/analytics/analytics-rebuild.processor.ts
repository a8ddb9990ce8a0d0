import { Injectable } from '@nestjs/common';
import { TransactionRunner } from '../../database/transaction-runner';
import { JobHandler } from '../../jobs/job-definition';
import { AnalyticsMaintenanceRepository } from './analytics-maintenance.repository';

/** Rebuilds a sub-account's rollup from its facts (delete + insert of the days in one transaction) and re-fills touch costs. */
@Injectable()
export class AnalyticsRebuildProcessor {
  constructor(
    private readonly repository: AnalyticsMaintenanceRepository,
    private readonly transactions: TransactionRunner,
  ) {}

  @JobHandler('analytics-rebuild')
  async rebuild({
    subAccountId,
    from,
    to,
  }: {
    subAccountId: number;
    from: string | null;
    to: string | null;
  }): Promise<void> {
    await this.transactions.runSql(async () => {
      await this.repository.rebuild(subAccountId, from, to);
      await this.repository.fillSourceCosts(subAccountId, from, to);
    });
  }
}
