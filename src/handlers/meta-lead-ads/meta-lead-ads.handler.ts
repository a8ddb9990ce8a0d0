import { Injectable } from '@nestjs/common';
import { SYNC_INTERVAL_PROPERTY } from '../shared/sync-interval';
import { OutboundError, OutboundResponse } from '../../common/outbound/http-client';
import type { JsonSchemaObject, LeadInput, SyncPage, TestResult, WebhookOutcome } from '../handler-types';
import {
  HandlerContext,
  IntegrationHandler,
  IntegrationSetupError,
  PermanentEventError,
  StoredEvent,
} from '../integration-handler';
import {
  asArray,
  asId,
  asNumber,
  asString,
  bodyKind,
  configString,
  isRecord,
  optionalConfigString,
} from '../shared/json';
import {
  classifyGraphError,
  graphErrorOf,
  graphPageData,
  graphRequest,
  graphSaid,
  graphThrottled,
  isGraphAuthError,
  isGraphPermissionError,
  isGraphThrottle,
  nextAfter,
} from '../shared/meta-graph';
import { graphTestFailure } from '../shared/meta-test-failure';
import {
  FORM_QUESTION_FIELDS,
  LEAD_FIELDS,
  leadFormOf,
  leadFromGraph,
  MetaLeadForm,
  narrowLeadgenEvent,
  objectId,
} from './meta-lead-ads.payload';
import { metaLeadAdsWebhook } from './meta-lead-ads.webhook';
import type { HandlerOAuth } from '../oauth/oauth-provider';
import { META_LEAD_ADS_SETUP } from './setup-instructions';

/** The least a run looks back: a week, so every lead is listed by many runs after its webhook should have come. */
const SYNC_WINDOW_SECONDS = 7 * 24 * 3600;
/**
 * The most a run looks back: Meta keeps leads retrievable for 90 days (Retrieving Leads: its rate
 * limit counts "leads created in the past 90 days"; developers.facebook.com/docs/marketing-api/guides/lead-ads/retrieving).
 */
const RETENTION_SECONDS = 90 * 24 * 3600;
/** Overlap before the last successful run's end, for leads Graph lists a little after their time_created. */
const RESUME_OVERLAP_SECONDS = 3600;
const PAGE_SIZE = 100;
/**
 * Pages of a Page's lead forms listed in one call (10,000 forms; each then costs a request per run):
 * the list is read in one syncData call, outside the run's page and time budget, so a Graph (or a
 * proxy) that keeps answering new cursors would otherwise hold the job past its lease.
 */
const MAX_FORM_PAGES = 100;
const META_SECRETS = ['pageAccessToken', 'appSecret', 'verifyToken'];

/** Where a reconciliation run stands; serialized as the opaque sync cursor. */
interface SyncCursor {
  /** Leads created after this unix time are listed; fixed for the whole run. */
  since: number;
  /** The page's lead form ids, listed once at the start of the run. */
  forms: string[];
  formIndex: number;
  /** Graph cursor of the next leads page of forms[formIndex]. */
  after?: string;
}

/**
 * What a run leaves for the next one (SyncPage.nextRunCursor): when it had read every form. The next
 * run looks back to there (less an overlap) when that is longer ago than a week, up to Meta's 90 days:
 * a page whose syncs failed or paused for longer than a week still gets the leads of those days.
 */
interface NextRunCursor {
  syncedUntil: number;
}

/** Meta Lead Ads: leadgen webhooks per Facebook page, leads fetched from the Graph API. */
@Injectable()
export class MetaLeadAdsHandler implements IntegrationHandler {
  readonly key = 'meta-lead-ads';
  readonly displayName = 'Meta Lead Ads';
  readonly setupInstructions = META_LEAD_ADS_SETUP;
  readonly category = 'Social Media';
  readonly capabilities = ['webhook', 'sync', 'test'] as const;
  readonly defaultRateLimitPerMinute = 200;
  readonly webhook = metaLeadAdsWebhook;
  /**
   * Facebook Login for the page's token: leads_retrieval, pages_show_list, pages_read_engagement,
   * pages_manage_metadata (webhook subscription) and pages_manage_ads, the permissions Meta's Lead Ads
   * retrieval guide lists (developers.facebook.com/docs/marketing-api/guides/lead-ads/retrieving).
   */
  readonly oauth: HandlerOAuth = {
    provider: 'meta',
    scopes: [
      'leads_retrieval',
      'pages_show_list',
      'pages_read_engagement',
      'pages_manage_metadata',
      'pages_manage_ads',
    ],
    tokenField: 'pageAccessToken',
    pageIdField: 'pageId',
    appFields: { appSecret: 'clientSecret' },
  };

  readonly defaultConfigSchema: JsonSchemaObject = {
    type: 'object',
    title: 'Meta Lead Ads',
    properties: {
      pageId: {
        type: 'string',
        title: 'Facebook Page ID',
        description: 'Numeric id of the Page whose lead forms are connected.',
        pattern: '^[0-9]+$',
      },
      appSecret: {
        type: 'string',
        title: 'App secret',
        description:
          "Secret of the Meta app; signs webhook deliveries (X-Hub-Signature-256). Connected with OAuth: the hub's app secret (META_APP_SECRET), leave empty.",
        minLength: 1,
        'x-secret': true,
        'x-oauth': true,
      },
      pageAccessToken: {
        type: 'string',
        title: 'Page access token',
        description:
          'Long-lived Page token with leads_retrieval, pages_manage_metadata, pages_show_list and pages_read_engagement.',
        minLength: 1,
        'x-secret': true,
        'x-oauth': true,
      },
      verifyToken: {
        type: 'string',
        title: 'Verify token',
        description: "The token typed into the app's webhook settings; Meta echoes it in the subscription check.",
        minLength: 1,
        'x-secret': true,
      },
      ...SYNC_INTERVAL_PROPERTY,
    },
    required: ['pageId', 'appSecret', 'pageAccessToken', 'verifyToken'],
    additionalProperties: false,
  };

  async processWebhook(event: StoredEvent, ctx: HandlerContext): Promise<WebhookOutcome> {
    if (event.eventType !== 'leadgen') return { leads: [], ignoredReason: `unsupported event type ${event.eventType}` };
    const leadgen = narrowLeadgenEvent(event.payload, event.externalId);
    if (!leadgen) throw new PermanentEventError('leadgen event without a leadgen id');

    let res: OutboundResponse;
    try {
      res = await this.get(ctx, leadgen.leadgenId, { fields: LEAD_FIELDS });
    } catch (err) {
      throw this.leadFetchError(err, leadgen.leadgenId, ctx);
    }
    // a 200 that is not a JSON object (an HTML page, an empty body) is Graph or a proxy in between
    // failing, not the lead: Graph answers a node as a JSON object, its errors as JSON too
    // (developers.facebook.com/docs/graph-api/guides/error-handling), so it is retried like a 5xx
    if (!isRecord(res.body))
      throw new OutboundError(
        'server',
        `Graph API answered lead ${leadgen.leadgenId} with ${bodyKind(res.body)} instead of a JSON object`,
        res.status,
      );
    const formOfLead = objectId(res.body.form_id);
    const form = await this.leadForm(ctx, formOfLead ?? leadgen.formId);
    const lead = leadFromGraph(res.body, form.questions, form.name);
    if (!lead) throw new PermanentEventError(`Graph API answer for lead ${leadgen.leadgenId} has no field_data`);
    // without ads_management the Graph answer omits the ad; the webhook still named it
    // (its "adgroup_id" is Meta's legacy name for the ad, not the ad set). A lead Graph calls organic
    // came from no ad ("generated from organic reach", Retrieving Leads; the Testing Tool's leads "are
    // organic leads that are not associated with" an ad, lead-ads/testing-troubleshooting)
    const organic = lead.source.isOrganic === true;
    const adId = lead.source.adId ?? (organic ? undefined : (leadgen.adId ?? leadgen.adgroupId));
    const formId = lead.source.formId ?? leadgen.formId;
    return {
      leads: [
        {
          ...lead,
          submittedAt: lead.submittedAt ?? leadgen.createdTime,
          source: { ...lead.source, ...(adId ? { adId } : {}), ...(formId ? { formId } : {}) },
        },
      ],
    };
  }

  /**
   * Proves the token is this page's: Graph's /me is "the person or Page whose access token is
   * being used" (developers.facebook.com/docs/graph-api/overview#me), so a token of another page
   * (or a user token) cannot pass for it. A page id is not a secret; only its token proves the page.
   */
  async testConnection(ctx: HandlerContext): Promise<TestResult> {
    const pageId = configString(ctx.config, 'pageId');
    try {
      const res = await this.get(ctx, 'me', { fields: 'id,name' });
      const id = isRecord(res.body) ? asId(res.body.id) : undefined;
      if (id !== pageId) {
        return {
          success: false,
          code: 'INVALID_CREDENTIALS',
          message: `The page access token is not a token of page ${pageId}${id ? ` (it belongs to ${id})` : ''}`,
        };
      }
      const name = (isRecord(res.body) ? asString(res.body.name) : undefined) ?? pageId;
      return { success: true, message: `Connected to page ${name}` };
    } catch (err) {
      return graphTestFailure(ctx, err, { token: 'page access token', resource: 'page' }, META_SECRETS);
    }
  }

  /**
   * Reconciles missed webhooks: lists the page's lead forms once, then each form's leads created
   * since the run started minus seven days (or since the last successful run, when that is longer
   * ago, up to 90 days), one Graph page per call.
   */
  async syncData(ctx: HandlerContext, cursor: string | null): Promise<SyncPage> {
    try {
      return await this.syncPage(ctx, cursor);
    } catch (err) {
      // an expired token (190) must reach the pipeline as an auth failure, throttling as such
      const classified = classifyGraphError(err);
      // a missing permission (code 10, 200-299; Graph sends it as HTTP 400) fails every run until
      // someone reconnects: reported on the integration, as the same refusal of a webhook's lead is
      if (
        classified instanceof OutboundError &&
        classified.kind === 'client' &&
        isGraphPermissionError(graphErrorOf(classified.body))
      )
        throw new IntegrationSetupError(
          `Meta refused the page's leads for a missing permission (${graphSaid(classified, this.secretsOf(ctx))}); reconnect the page with leads_retrieval`,
          { cause: classified },
        );
      throw classified;
    }
  }

  private async syncPage(ctx: HandlerContext, cursor: string | null): Promise<SyncPage> {
    const parsed = cursor === null ? null : parseCursor(cursor);
    const state = parsed === null || 'syncedUntil' in parsed ? await this.startSync(ctx, parsed) : parsed;
    const done = (): string => JSON.stringify({ syncedUntil: Math.floor(ctx.now().getTime() / 1000) });
    const formId = state.forms[state.formIndex];
    if (formId === undefined) return { leads: [], fetched: 0, nextCursor: null, nextRunCursor: done() };

    const filtering = JSON.stringify([{ field: 'time_created', operator: 'GREATER_THAN', value: state.since }]);
    const res = await this.get(ctx, `${formId}/leads`, {
      fields: LEAD_FIELDS,
      limit: PAGE_SIZE,
      filtering,
      after: state.after,
    });
    const records = graphPageData(res, `the leads of form ${formId}`);
    const form: MetaLeadForm = records.length > 0 ? await this.leadForm(ctx, formId) : { questions: new Map() };
    const leads: LeadInput[] = [];
    for (const record of records) {
      const lead = leadFromGraph(record, form.questions, form.name);
      if (lead) leads.push(lead);
      else
        ctx.logger.warn(
          { formId, leadId: isRecord(record) ? asId(record.id) : undefined },
          'Meta lead without field_data skipped',
        );
    }

    // an empty page can still have a next link (Graph filters by visibility): paging ends only when next
    // does (developers.facebook.com/docs/graph-api/results); a repeated cursor fails the run (SyncProcessor)
    const after = nextAfter(res.body);
    const next: SyncCursor | null = after
      ? { ...state, after }
      : state.formIndex + 1 < state.forms.length
        ? { since: state.since, forms: state.forms, formIndex: state.formIndex + 1 }
        : null;
    if (next) return { leads, fetched: records.length, nextCursor: JSON.stringify(next) };
    return { leads, fetched: records.length, nextCursor: null, nextRunCursor: done() };
  }

  /**
   * The form's questions (key → type), so that answers are mapped by what was asked, and its name
   * (the lead's formName). A form that cannot be read leaves the mapping by Meta's prefill names and
   * no name; a transient failure is retried.
   */
  private async leadForm(ctx: HandlerContext, formId: string | undefined): Promise<MetaLeadForm> {
    if (!formId) return { questions: new Map() };
    try {
      return leadFormOf((await this.get(ctx, formId, { fields: FORM_QUESTION_FIELDS })).body);
    } catch (err) {
      const classified = classifyGraphError(err);
      if (!(classified instanceof OutboundError) || classified.transient) throw classified;
      ctx.logger.warn({ formId, status: classified.status }, 'Meta lead form unreadable; answers mapped by field name');
      return { questions: new Map() };
    }
  }

  private async startSync(ctx: HandlerContext, previous: NextRunCursor | null): Promise<SyncCursor> {
    const pageId = configString(ctx.config, 'pageId');
    const forms: string[] = [];
    const given = new Set<string>();
    let after: string | undefined;
    do {
      const res = await this.get(ctx, `${pageId}/leadgen_forms`, { fields: 'id,name', limit: PAGE_SIZE, after });
      const records = graphPageData(res, `the lead forms of page ${pageId}`);
      for (const form of records) {
        const id = isRecord(form) ? asId(form.id) : undefined;
        if (id && !forms.includes(id)) forms.push(id);
      }
      // an empty page with a next link is not the end (developers.facebook.com/docs/graph-api/results)
      after = nextAfter(res.body);
      // a cursor Graph already gave lists the same forms again: followed, the run never ended
      if (after !== undefined && given.has(after))
        throw new Error(`Graph repeated a paging cursor of the lead forms of page ${pageId}; the sync stopped there`);
      if (after !== undefined) given.add(after);
      if (after !== undefined && given.size >= MAX_FORM_PAGES)
        throw new Error(
          `Graph listed more than ${MAX_FORM_PAGES} pages of lead forms of page ${pageId}; the sync stopped there`,
        );
    } while (after);
    const now = Math.floor(ctx.now().getTime() / 1000);
    let since = now - SYNC_WINDOW_SECONDS;
    if (previous)
      since = Math.max(now - RETENTION_SECONDS, Math.min(since, previous.syncedUntil - RESUME_OVERLAP_SECONDS));
    return { since, forms, formIndex: 0 };
  }

  /** The configured secrets, kept out of every error text (DESIGN.md "Secrets"). */
  private secretsOf(ctx: HandlerContext): Array<string | undefined> {
    return META_SECRETS.map((key) => optionalConfigString(ctx.config, key));
  }

  /** GET on the Graph API: the page token in the Authorization header, appsecret_proof beside it. */
  private get(
    ctx: HandlerContext,
    path: string,
    query: Record<string, string | number | undefined>,
  ): Promise<OutboundResponse> {
    return graphRequest(ctx, {
      path,
      query,
      accessToken: configString(ctx.config, 'pageAccessToken'),
      appSecret: optionalConfigString(ctx.config, 'appSecret'),
      throttleAware: true,
    });
  }

  /**
   * 4xx: the lead can never be fetched with this config → permanent; the rest is retried. A refused
   * token (code 190, or a 401) or a missing permission (code 10, 200-299: "API Permission Denied",
   * developers.facebook.com/docs/graph-api/guides/error-handling) is the integration's to fix: it is
   * reported on the integration (status error), not only on each event, as LinkedIn's are. The
   * refusal stays the cause, so an OAuth connection's token is refreshed once first (isTokenRefused).
   */
  private leadFetchError(err: unknown, leadgenId: string, ctx: HandlerContext): unknown {
    if (!(err instanceof OutboundError) || (err.kind !== 'auth' && err.kind !== 'client')) return err;
    const graph = graphErrorOf(err.body);
    if (isGraphThrottle(graph)) return graphThrottled(err);
    // Graph's words go into lastError and the integration's errorMessage: never what the call carried
    const said = graphSaid(err, this.secretsOf(ctx));
    if (isGraphAuthError(graph) || (graph?.code === undefined && err.status === 401))
      return new IntegrationSetupError(
        `Meta refused the page access token reading lead ${leadgenId} (${said}); reconnect the page`,
        { cause: err },
      );
    if (isGraphPermissionError(graph))
      return new IntegrationSetupError(
        `Meta refused lead ${leadgenId} for a missing permission (${said}); reconnect the page with leads_retrieval`,
        { cause: err },
      );
    return new PermanentEventError(`Graph API refused lead ${leadgenId}: ${said}`);
  }
}

function parseCursor(cursor: string): SyncCursor | NextRunCursor {
  let value: unknown;
  try {
    value = JSON.parse(cursor);
  } catch {
    value = undefined;
  }
  if (isRecord(value) && value.forms === undefined && value.syncedUntil !== undefined) {
    const syncedUntil = asNumber(value.syncedUntil);
    if (syncedUntil !== undefined) return { syncedUntil };
  }
  const since = isRecord(value) ? asNumber(value.since) : undefined;
  const formIndex = isRecord(value) ? asNumber(value.formIndex) : undefined;
  const rawForms = isRecord(value) ? asArray(value.forms) : [];
  const forms = rawForms.map(asId).filter((f): f is string => f !== undefined);
  if (!isRecord(value) || since === undefined || formIndex === undefined || forms.length !== rawForms.length) {
    throw new Error('meta-lead-ads: unreadable sync cursor');
  }
  return { since, formIndex, forms, after: asString(value.after) };
}
