import { Injectable } from '@nestjs/common';
import { SYNC_INTERVAL_PROPERTY } from '../shared/sync-interval';
import type { JsonSchemaObject, SyncPage, TestResult } from '../handler-types';
import { OutboundError } from '../../common/outbound/http-client';
import { HandlerContext, IntegrationHandler, IntegrationSetupError } from '../integration-handler';
import { asString, isRecord, optionalConfigString } from '../shared/json';
import { classifyGraphError, graphErrorOf, graphSaid, isGraphPermissionError } from '../shared/meta-graph';
import { graphTestFailure } from '../shared/meta-test-failure';
import { accountPath, facebookAdsGet, syncInsights } from './facebook-ads.insights';
import type { HandlerOAuth } from '../oauth/oauth-provider';
import { FACEBOOK_ADS_SETUP } from './setup-instructions';

const FACEBOOK_ADS_SECRETS = ['accessToken', 'appSecret'];

/** Facebook Ads: daily spend, impressions, clicks and leads per ad, for cost-per-lead reports. */
@Injectable()
export class FacebookAdsHandler implements IntegrationHandler {
  readonly key = 'facebook-ads';
  readonly displayName = 'Facebook Ads';
  readonly setupInstructions = FACEBOOK_ADS_SETUP;
  readonly category = 'Advertising';
  readonly capabilities = ['sync', 'test'] as const;
  readonly defaultRateLimitPerMinute = 200;
  /** Facebook Login with ads_read, what the Insights API needs (developers.facebook.com/docs/marketing-api/insights). */
  readonly oauth: HandlerOAuth = {
    provider: 'meta',
    scopes: ['ads_read'],
    tokenField: 'accessToken',
    appFields: { appSecret: 'clientSecret' },
  };

  readonly defaultConfigSchema: JsonSchemaObject = {
    type: 'object',
    title: 'Facebook Ads',
    properties: {
      adAccountId: {
        type: 'string',
        title: 'Ad account ID',
        description: 'The ad account id, with or without the act_ prefix.',
        pattern: '^(act_)?[0-9]+$',
      },
      accessToken: {
        type: 'string',
        title: 'Access token',
        description: 'A system-user or user token with ads_read on the ad account.',
        minLength: 1,
        'x-secret': true,
        'x-oauth': true,
      },
      appSecret: {
        type: 'string',
        title: 'App secret',
        description:
          'Secret of the Meta app the token belongs to. Required when the app has "Require App Secret" on: every call then carries appsecret_proof. Connected with OAuth: the hub\'s app secret (META_APP_SECRET), leave empty.',
        minLength: 1,
        'x-secret': true,
        'x-oauth': true,
      },
      ...SYNC_INTERVAL_PROPERTY,
    },
    required: ['adAccountId', 'accessToken'],
    additionalProperties: false,
  };

  async testConnection(ctx: HandlerContext): Promise<TestResult> {
    try {
      const res = await facebookAdsGet(ctx, accountPath(ctx), { fields: 'id,name,currency,timezone_name' });
      const body = isRecord(res.body) ? res.body : {};
      const name = asString(body.name) ?? accountPath(ctx);
      const currency = asString(body.currency);
      return { success: true, message: `Connected to ad account ${name}${currency ? ` (${currency})` : ''}` };
    } catch (err) {
      return graphTestFailure(ctx, err, { token: 'access token', resource: 'ad account' }, FACEBOOK_ADS_SECRETS);
    }
  }

  /**
   * Daily insights per ad for the last seven days of the ad account's calendar, deleted and archived
   * ads included, re-read each run to absorb late corrections (facebook-ads.insights.ts).
   */
  async syncData(ctx: HandlerContext, cursor: string | null): Promise<SyncPage> {
    try {
      return await syncInsights(ctx, cursor);
    } catch (err) {
      // a missing permission (code 10, 200-299: "API Permission Denied", developers.facebook.com/docs/
      // graph-api/guides/error-handling; ads_read for insights) is refused the same way every run until
      // someone reconnects: reported on the integration, as a refused token is
      const graph = err instanceof OutboundError ? graphErrorOf(err.body) : undefined;
      if (err instanceof OutboundError && isGraphPermissionError(graph))
        throw new IntegrationSetupError(
          // stored as the integration's errorMessage: Graph's words without what the call carried
          `Meta refused the ad account's insights for a missing permission (${graphSaid(err, [optionalConfigString(ctx.config, 'accessToken')])}); reconnect with ads_read`,
          { cause: err },
        );
      // an expired token (190, sent as HTTP 400) must reach the pipeline as an auth failure
      throw classifyGraphError(err);
    }
  }
}
