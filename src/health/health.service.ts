import { Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckResult, HealthCheckService, HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { DomainException } from '../common/errors/domain.exception';
import { ErrorCode } from '../common/errors/error-code';
import { DatabaseHealthIndicator } from '../database/database-health.indicator';
import { JobsService } from '../jobs/jobs.service';

type ComponentStates = Record<string, { status: 'up' }>;

/** Terminus's result, each dependency reduced to its state (timings and error texts go to the log only). */
export interface ReadinessDto {
  status: 'ok';
  info: ComponentStates;
  error: Record<string, never>;
  details: ComponentStates;
}

@Injectable()
export class HealthService {
  private readonly logger = new Logger(HealthService.name);

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly database: DatabaseHealthIndicator,
    private readonly jobs: JobsService,
  ) {}

  /**
   * Readiness: the database (terminus's Prisma indicator) and the job queue answer. The probe is
   * public, so a failure answers 503 naming the component that is down and nothing of why (error
   * messages carry host names, database names and driver details).
   */
  async ready(): Promise<ReadinessDto> {
    let result: HealthCheckResult;
    try {
      result = await this.health.check([
        () => this.database.pingCheck('database', 3000),
        () => this.probe('queue', () => this.jobs.ping()),
      ]);
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      const body = err.getResponse() as Partial<HealthCheckResult>;
      const down = Object.entries(body.error ?? {});
      this.logger.error({ down: Object.fromEntries(down) }, 'not ready');
      throw new DomainException(
        ErrorCode.SERVICE_UNAVAILABLE,
        `Not ready: ${down.map(([name]) => name).join(', ') || 'a dependency is down'}`,
        down.map(([component]) => ({ component, status: 'down' })),
      );
    }
    const states: ComponentStates = Object.fromEntries(
      Object.keys(result.details).map((name) => [name, { status: 'up' as const }]),
    );
    return { status: 'ok', info: states, error: {}, details: states };
  }

  private async probe(key: string, check: () => Promise<unknown>): Promise<HealthIndicatorResult> {
    const session = this.indicator.check(key);
    try {
      await check();
      return session.up();
    } catch (err) {
      return session.down({ message: err instanceof Error ? err.message.split('\n')[0] : 'unreachable' });
    }
  }
}
