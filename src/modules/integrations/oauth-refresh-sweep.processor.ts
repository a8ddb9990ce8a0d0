import { Inject, Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { Clock, CLOCK, systemClock } from '../../common/clock';
import { failureFields } from '../../common/outbound/http-client';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { JobHandler } from '../../jobs/job-definition';
import { JobsService } from '../../jobs/jobs.service';
import { IntegrationOAuthRepository } from './integration-oauth.repository';
import { IntegrationsRepository } from './integrations.repository';
import { isReauthorizationRequired, OAuthTokensService } from './oauth-tokens.service';

/** Integrations read per page of the sweep. */
const PAGE = 100;
/** Look-ahead of a sweep run by hand (tests, a process without the schedule): one default interval. */
const DEFAULT_INTERVAL_MINUTES = 5;

export interface SweepResult {
  /** Integrations whose token was due within the look-ahead. */
  due: number;
  /** Of those, given a new access token. */
  refreshed: number;
  /** Stopped for a person to connect again: the refresh was refused, or an unrefreshable token ran out. */
  reauthorizationRequired: number;
  /** The token endpoint could not be reached or failed otherwise: tried again at the next sweep. */
  failed: number;
}

/**
 * API.md "OAuth connections": tokens are refreshed before they expire. A token is refreshed on use
 * when it is due (OAUTH_REFRESH_AHEAD_SECONDS); this sweep covers the connections nothing uses for a
 * while (a lead-ads page between leads, a number nobody messages): every OAUTH_REFRESH_SWEEP_MINUTES
 * it refreshes each token that expires before the sweep after next, through the same locked,
 * compare-and-set refresh as a use. A refused grant, or a Meta token (which cannot be refreshed) that
 * has run out, sets status error with REAUTHORIZATION_REQUIRED at once, so the CRM shows "connect
 * again" when it happens instead of at the next lead that cannot be fetched.
 */
@Injectable()
export class OAuthRefreshSweep implements OnApplicationBootstrap {
  private readonly logger = new Logger('OAuthRefreshSweep');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly oauth: IntegrationOAuthRepository,
    private readonly integrations: IntegrationsRepository,
    private readonly tokens: OAuthTokensService,
    private readonly jobs: JobsService,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.role === 'api') return;
    const every = this.config.oauth.refreshSweepMinutes;
    if (every > 0) await this.jobs.schedule('oauth-refresh-sweep', `*/${every} * * * *`);
    else await this.jobs.unschedule('oauth-refresh-sweep');
  }

  @JobHandler('oauth-refresh-sweep')
  async tick(): Promise<void> {
    const result = await this.sweep();
    if (result.due > 0) this.logger.log(result, 'OAuth refresh sweep');
  }

  async sweep(): Promise<SweepResult> {
    const interval = this.config.oauth.refreshSweepMinutes || DEFAULT_INTERVAL_MINUTES;
    // due before the sweep after next: a late or skipped tick still finds the token unexpired
    const aheadMs = this.config.oauth.refreshAheadMs + 2 * interval * 60_000;
    const before = new Date(this.clock.now() + aheadMs);
    const result: SweepResult = { due: 0, refreshed: 0, reauthorizationRequired: 0, failed: 0 };
    for (let after = 0; ;) {
      const ids = await this.oauth.dueForRefresh(before, after, PAGE);
      for (const id of ids) await this.refreshOne(id, aheadMs, result);
      if (ids.length < PAGE) return result;
      after = ids[ids.length - 1];
    }
  }

  private async refreshOne(id: number, aheadMs: number, result: SweepResult): Promise<void> {
    const row = await this.integrations.findForProcessing(id);
    if (!row?.oauthTokens || row.status === 'disconnected') return;
    result.due += 1;
    try {
      const after = await this.tokens.refreshIfDue(row, aheadMs);
      if (after.oauthTokens !== null && after.oauthTokens !== row.oauthTokens) result.refreshed += 1;
    } catch (err) {
      if (isReauthorizationRequired(err)) {
        result.reauthorizationRequired += 1;
        return;
      }
      result.failed += 1;
      // never the message or body: a token endpoint's answer may quote what it was sent
      this.logger.warn(
        { integrationId: id, provider: row.oauthProvider, ...failureFields(err) },
        'OAuth refresh sweep: refresh failed; tried again at the next sweep',
      );
    }
  }
}
