import { Injectable } from '@nestjs/common';
import { OutboundError, OutboundResponse } from '../../common/outbound/http-client';
import type { AdCostInput, JsonSchemaObject, SyncPage, TestResult } from '../handler-types';
import { HandlerContext, IntegrationHandler } from '../integration-handler';
import { asString, configString, isRecord } from '../shared/json';
import { graphErrorOf, nextAfter } from '../shared/meta-graph';
import { redactSecrets } from '../shared/redact-secrets';
import { costFromInsightsRow, INSIGHTS_FIELDS, rowsOf } from './facebook-ads.payload';

const DAY_MS = 24 * 3600 * 1000;
/** Days before today that a run starts from (today included, so seven days in all). */
const SYNC_DAYS_BACK = 6;
const PAGE_SIZE = 100;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Where an insights run stands; serialized as the opaque sync cursor. */
interface SyncCursor {
  since: string;
  until: string;
  after?: string;
}

/** Facebook Ads: daily spend, impressions, clicks and leads per ad, for cost-per-lead reports. */
@Injectable()
export class FacebookAdsHandler implements IntegrationHandler {
  readonly key = 'facebook-ads';
  readonly displayName = 'Facebook Ads';
  readonly category = 'Advertising';
  readonly capabilities = ['sync', 'test'] as const;
  readonly defaultRateLimitPerMinute = 200;

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
      },
    },
    required: ['adAccountId', 'accessToken'],
    additionalProperties: false,
  };

  async testConnection(ctx: HandlerContext): Promise<TestResult> {
    try {
      const res = await this.get(ctx, accountPath(ctx), { fields: 'id,name,currency' });
      const body = isRecord(res.body) ? res.body : {};
      const name = asString(body.name) ?? accountPath(ctx);
      const currency = asString(body.currency);
      return { success: true, message: `Connected to ad account ${name}${currency ? ` (${currency})` : ''}` };
    } catch (err) {
      return this.testFailure(ctx, err);
    }
  }

  /**
   * Daily insights per ad for the last seven days (UTC dates from ctx.now(); Meta reports days in
   * the ad account's time zone, and re-reading a week each run absorbs late corrections).
   */
  async syncData(ctx: HandlerContext, cursor: string | null): Promise<SyncPage> {
    const state = cursor === null ? firstCursor(ctx.now()) : parseCursor(cursor);
    const res = await this.get(ctx, `${accountPath(ctx)}/insights`, {
      level: 'ad',
      time_increment: 1,
      fields: INSIGHTS_FIELDS,
      time_range: JSON.stringify({ since: state.since, until: state.until }),
      limit: PAGE_SIZE,
      after: state.after,
    });
    const rows = rowsOf(res.body);
    const costs: AdCostInput[] = [];
    for (const row of rows) {
      const cost = costFromInsightsRow(row);
      if (cost) costs.push(cost);
      else
        ctx.logger.warn(
          { row: isRecord(row) ? { campaign_id: row.campaign_id, date_start: row.date_start } : typeof row },
          'Facebook Ads insights row without campaign or day skipped',
        );
    }
    const after = rows.length > 0 ? nextAfter(res.body) : undefined;
    return {
      leads: [],
      costs,
      fetched: rows.length,
      nextCursor: after ? JSON.stringify({ since: state.since, until: state.until, after }) : null,
    };
  }

  /** GET on the Graph API with the token in the Authorization header (never in the URL). */
  private get(
    ctx: HandlerContext,
    path: string,
    query: Record<string, string | number | undefined>,
  ): Promise<OutboundResponse> {
    return ctx.http.request({
      method: 'GET',
      url: `${ctx.urls.metaGraph.replace(/\/+$/, '')}/${path}`,
      query,
      headers: { authorization: `Bearer ${configString(ctx.config, 'accessToken')}` },
    });
  }

  private testFailure(ctx: HandlerContext, err: unknown): TestResult {
    if (!(err instanceof OutboundError)) {
      ctx.logger.error(
        { err: err instanceof Error ? err.message : String(err) },
        'Facebook Ads connection test failed unexpectedly',
      );
      return { success: false, code: 'CONNECTION_FAILED', message: 'Connection test failed unexpectedly' };
    }
    const graph = graphErrorOf(err.body);
    const said = graph?.message ?? `HTTP ${err.status ?? err.kind}`;
    if (err.kind === 'auth' || graph?.code === 190) {
      return {
        success: false,
        code: 'INVALID_CREDENTIALS',
        message: redactSecrets(`Meta refused the access token: ${said}`, ctx.config, ['accessToken']),
      };
    }
    const reason = err.status === undefined ? err.message : said;
    return {
      success: false,
      code: 'CONNECTION_FAILED',
      message: redactSecrets(`Could not read the ad account: ${reason}`, ctx.config, ['accessToken']),
    };
  }
}

/** `act_<id>`, whichever way the id was typed. */
function accountPath(ctx: HandlerContext): string {
  const id = configString(ctx.config, 'adAccountId');
  return id.startsWith('act_') ? id : `act_${id}`;
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function firstCursor(now: Date): SyncCursor {
  return { since: isoDay(new Date(now.getTime() - SYNC_DAYS_BACK * DAY_MS)), until: isoDay(now) };
}

function parseCursor(cursor: string): SyncCursor {
  let value: unknown;
  try {
    value = JSON.parse(cursor);
  } catch {
    value = undefined;
  }
  const since = isRecord(value) ? asString(value.since) : undefined;
  const until = isRecord(value) ? asString(value.until) : undefined;
  if (!isRecord(value) || !since || !until || !DATE.test(since) || !DATE.test(until))
    throw new Error('facebook-ads: unreadable sync cursor');
  return { since, until, after: asString(value.after) };
}
