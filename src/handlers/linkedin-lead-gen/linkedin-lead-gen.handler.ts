import { Injectable } from '@nestjs/common';
import { SYNC_INTERVAL_PROPERTY } from '../shared/sync-interval';
import { OutboundError, OutboundResponse } from '../../common/outbound/http-client';
import type { ConfigProblem, JsonSchemaObject, SyncPage, TestResult, WebhookOutcome } from '../handler-types';
import {
  ExtractedEvent,
  HandlerContext,
  HandshakeResponse,
  IntegrationConfig,
  IntegrationHandler,
  IntegrationSetupError,
  PermanentEventError,
  StoredEvent,
  VerificationKeys,
  VerifyResult,
  WebhookRequest,
  WebhookSpec,
} from '../integration-handler';
import { asString, isRecord, JsonRecord, optionalConfigString } from '../shared/json';
import { redactSecrets } from '../shared/redact-secrets';
import { header, hmacSha256Hex, safeEqualHex } from '../shared/signature';
import { linkedInAdSpend } from './linkedin-ad-spend';
import {
  LINKEDIN_SECRET_FIELDS,
  LinkedInApi,
  linkedInFailure,
  linkedInOwner,
  OWNER_TYPES,
  withoutSecrets,
} from './linkedin-api';
import { embeddedForm, formVersionOf, leadFromResponse } from './linkedin-lead-gen.lead';
import { leadGenFormId, narrowNotification, narrowStoredLeadAction, ownerIds } from './linkedin-lead-gen.payload';
import { syncLinkedInLeads } from './linkedin-lead-gen.sync';
import type { HandlerOAuth } from '../oauth/oauth-provider';
import { linkedInVersionAgeMonths } from './linkedin-version';
import { LINKEDIN_LEAD_GEN_SETUP } from './setup-instructions';

const SIGNATURE_PREFIX = /^hmacsha256=/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * LinkedIn Lead Sync: one app-level webhook (routed by the notification's owner) or a URL per
 * integration. Notifications carry no answers; processing fetches the lead form response with a
 * projection that embeds the form version the lead answered. A sync pulls responses since the last
 * run, for the leads whose notifications never arrived.
 */
@Injectable()
export class LinkedInLeadGenHandler implements IntegrationHandler {
  readonly key = 'linkedin-lead-gen';
  readonly displayName = 'LinkedIn Lead Gen Forms';
  readonly setupInstructions = LINKEDIN_LEAD_GEN_SETUP;
  readonly category = 'Social Media';
  readonly capabilities = ['webhook', 'sync', 'test'] as const;
  readonly defaultRateLimitPerMinute = 100;
  /**
   * Three-legged OAuth with the Lead Sync scope (r_marketing_leadgen_automation), organisation and
   * ad account reads (r_organization_admin, r_ads) and ads reporting (r_ads_reporting), as LinkedIn's
   * Lead Sync and Reporting guides list them (learn.microsoft.com/linkedin/marketing/lead-sync,
   * …/marketing/integrations/ads-reporting/ads-reporting).
   */
  readonly oauth: HandlerOAuth = {
    provider: 'linkedin',
    scopes: ['r_marketing_leadgen_automation', 'r_organization_admin', 'r_ads', 'r_ads_reporting'],
    tokenField: 'accessToken',
    appFields: { clientId: 'clientId', clientSecret: 'clientSecret' },
  };

  readonly defaultConfigSchema: JsonSchemaObject = {
    type: 'object',
    title: 'LinkedIn Lead Gen Forms',
    description:
      'Leads from LinkedIn Lead Gen Forms through Lead Sync notifications (leadNotifications) and the Lead Sync API.',
    properties: {
      organizationId: {
        type: 'string',
        title: 'Organization or ad account id',
        description:
          'The owner the lead notifications are subscribed for: the sponsored ad account (ad leads) or the organization, as digits (2414183) or as its URN (urn:li:organization:2414183, urn:li:sponsoredAccount:507404993).',
        pattern: '^(?:[0-9]{1,20}|urn:li:(?:organization|sponsoredAccount):[0-9]{1,20})$',
      },
      ownerType: {
        type: 'string',
        title: 'Owner type',
        description:
          'sponsoredAccount (ad leads) or organization (page, event and product leads); found by the connection test when empty.',
        enum: [...OWNER_TYPES],
      },
      clientId: {
        type: 'string',
        title: 'Client id',
        description:
          "Client ID of the LinkedIn app that has Lead Sync access. Connected with OAuth: the hub's app (LINKEDIN_CLIENT_ID), leave empty.",
        minLength: 1,
        maxLength: 200,
        'x-oauth': true,
      },
      clientSecret: {
        type: 'string',
        title: 'Client secret',
        description:
          "Primary client secret of that app: LinkedIn signs every notification (X-LI-Signature) and the webhook challenge with it. Connected with OAuth: the hub's app (LINKEDIN_CLIENT_SECRET), leave empty.",
        minLength: 1,
        'x-secret': true,
        'x-oauth': true,
      },
      accessToken: {
        type: 'string',
        title: 'Access token',
        description: 'OAuth token of a member with access to the leads (scope r_marketing_leadgen_automation).',
        minLength: 1,
        'x-secret': true,
        'x-oauth': true,
      },
      apiVersion: {
        type: 'string',
        title: 'LinkedIn-Version',
        description:
          "Marketing API version, YYYYMM. Leave empty to follow LinkedIn's releases (last month's version); LinkedIn answers 426 to versions it has sunset, about a year after release.",
        pattern: '^[0-9]{4}(0[1-9]|1[0-2])$',
      },
      adAccountId: {
        type: 'string',
        title: 'Ad account id (ad spend)',
        description:
          'Sponsored ad account whose daily campaign spend is pulled with each sync (adAnalytics, r_ads_reporting). Leave empty for leads only.',
        pattern: '^[0-9]{1,20}$',
      },
      lookbackDays: {
        type: 'integer',
        title: 'Days of spend re-read each sync',
        description: 'Trailing window re-pulled so that late corrections land (default 7).',
        minimum: 1,
        maximum: 90,
      },
      ...SYNC_INTERVAL_PROPERTY,
    },
    required: ['organizationId', 'clientId', 'clientSecret', 'accessToken'],
    additionalProperties: false,
  };

  /**
   * An apiVersion LinkedIn cannot serve yet: a month that has not come (versions are monthly releases:
   * learn.microsoft.com/linkedin/marketing/versioning); it would only fail every call with 426. A past
   * version, even one before the first versioned release (202206), is left to the connection test:
   * LinkedIn keeps some versions past their year, and its 426 is what says one is sunset (with the
   * version to set), which is the message an admin who typed an old month should get.
   * The config is judged at the wall clock of the request that stores it (there is no context clock here).
   */
  validateConfig(config: IntegrationConfig): ConfigProblem[] {
    const version = optionalConfigString(config, 'apiVersion');
    const age = version === undefined ? undefined : linkedInVersionAgeMonths(version, new Date());
    if (version === undefined || age === undefined) return [];
    if (age < 0)
      return [
        {
          pointer: '/apiVersion',
          message: `LinkedIn has not released version ${version} yet: clear apiVersion to follow LinkedIn's releases`,
        },
      ];
    return [];
  }

  readonly webhook: WebhookSpec = {
    routing: 'both',
    routingKeys: (payload) => ownerIds(payload),
    // the owner's digits, as notifications name it, whether configured as digits or as a URN
    routingKeyOf: (config) => {
      const organizationId = optionalConfigString(config, 'organizationId');
      return organizationId === undefined ? undefined : linkedInOwner(organizationId).id;
    },
    // a notification is about one lead of one owner: it belongs to the key entirely or not at all
    selectForRoutingKey: (payload, key) => (ownerIds(payload).includes(key) ? payload : undefined),
    verificationFields: ['clientSecret'],
    verify: (req, keys) => this.verify(req, keys),
    extractEvents: (payload) => this.extractEvents(payload),
    handshake: (query, config) => this.handshake(query, config),
    // learn.microsoft.com/linkedin/shared/api-guide/webhook-validation: validated again every 2 hours,
    // "Blocked" after 3 consecutive failures; an integration pending its first test or in `error` for
    // a while must not get its URL blocked
    handshakeUntilDisconnected: true,
  };

  /** Failures leave without a configured secret in their message: the pipeline stores it (event lastError, integration errorMessage). */
  async processWebhook(event: StoredEvent, ctx: HandlerContext): Promise<WebhookOutcome> {
    try {
      return await this.processLeadAction(event, ctx);
    } catch (err) {
      throw withoutSecrets(err, ctx.config);
    }
  }

  private async processLeadAction(event: StoredEvent, ctx: HandlerContext): Promise<WebhookOutcome> {
    if (event.eventType !== 'lead.created' && event.eventType !== 'lead.deleted') {
      return { leads: [], ignoredReason: `unsupported LinkedIn event ${event.eventType}` };
    }
    const action = narrowStoredLeadAction(event.payload);
    if (!action) throw new PermanentEventError('LinkedIn lead notification has no leadGenFormResponse');
    if (event.eventType === 'lead.deleted') {
      return { leads: [], deletedLeads: [{ platform: 'linkedin', externalId: action.responseId }] };
    }

    const api = LinkedInApi.fromContext(ctx);
    let res: OutboundResponse;
    try {
      res = await api.leadFormResponse(action.responseId);
    } catch (err) {
      throw linkedInFailure(err, `lead form response ${action.responseId}`);
    }
    if (!isRecord(res.body))
      throw new PermanentEventError(`LinkedIn answered lead form response ${action.responseId} without a JSON object`);
    const form = embeddedForm(res.body) ?? (await this.fetchForm(ctx, api, res.body, action.formUrn));
    return { leads: [leadFromResponse(res.body, form, action)] };
  }

  /**
   * Proves the token reaches the routing resource with the API lead sync uses: listing this owner's
   * lead forms needs r_marketing_leadgen_automation and a role on that ad account or organization
   * (learn.microsoft.com/linkedin/marketing/lead-sync/leadsync). An organization id alone is public,
   * and the organization lookup needs rw_organization_admin, so neither proves lead access.
   */
  async testConnection(ctx: HandlerContext): Promise<TestResult> {
    const api = LinkedInApi.fromContext(ctx);
    try {
      const { ownerType, forms } = await api.probeLeadAccess();
      const what = ownerType === 'sponsoredAccount' ? 'ad account' : 'organization';
      return { success: true, message: `Connected to LinkedIn ${what} ${api.ownerId}: ${forms} lead form(s) visible` };
    } catch (err) {
      if (err instanceof IntegrationSetupError)
        return {
          success: false,
          code: 'CONNECTION_FAILED',
          message: redactSecrets(err.message, ctx.config, LINKEDIN_SECRET_FIELDS),
        };
      if (!(err instanceof OutboundError)) throw err;
      if (err.kind === 'auth' || err.kind === 'client') {
        return {
          success: false,
          code: 'INVALID_CREDENTIALS',
          message: redactSecrets(
            `LinkedIn refused to list the lead forms of ${api.ownerId} (HTTP ${err.status ?? '?'}); the token needs r_marketing_leadgen_automation and a role on that ad account or organization`,
            ctx.config,
            LINKEDIN_SECRET_FIELDS,
          ),
        };
      }
      return {
        success: false,
        code: 'CONNECTION_FAILED',
        message: redactSecrets(`LinkedIn API call failed: ${err.message}`, ctx.config, LINKEDIN_SECRET_FIELDS),
      };
    }
  }

  /** Leads (incremental); with an adAccountId, the last page of a run also carries the account's spend (campaigns and creatives). */
  async syncData(ctx: HandlerContext, cursor: string | null): Promise<SyncPage> {
    try {
      return await this.syncPage(ctx, cursor);
    } catch (err) {
      // stored as the run's error and the integration's errorMessage: without a configured secret
      throw withoutSecrets(err, ctx.config);
    }
  }

  private async syncPage(ctx: HandlerContext, cursor: string | null): Promise<SyncPage> {
    const page = await syncLinkedInLeads(ctx, cursor);
    if (page.nextCursor !== null) return page;
    try {
      const spend = await linkedInAdSpend(ctx);
      if (!spend) return page;
      // the window names the days re-pulled: what LinkedIn no longer reports there is zeroed (none when
      // LinkedIn's answer may have been cut at its element cap)
      return {
        ...page,
        costs: [...(page.costs ?? []), ...spend.costs],
        ...(spend.window ? { costWindow: spend.window } : {}),
      };
    } catch (err) {
      throw linkedInFailure(err, 'ad analytics');
    }
  }

  /** The client secret, and the previous one while a change's grace period lasts. */
  private verify(req: WebhookRequest, keys: VerificationKeys): VerifyResult {
    const secrets = [optionalConfigString(keys.config, 'clientSecret'), keys.previousSecrets?.clientSecret].filter(
      (s): s is string => !!s,
    );
    if (secrets.length === 0) return { ok: false, reason: 'integration has no clientSecret configured' };
    const received = header(req.headers, 'x-li-signature');
    if (!received) return { ok: false, reason: 'missing X-LI-Signature header' };
    const signature = received.trim().replace(SIGNATURE_PREFIX, '');
    // LinkedIn signs "hmacsha256=" + body; whether the header repeats that prefix is undocumented (NOTES §4)
    let ok = false;
    for (const secret of secrets) ok = safeEqualHex(signature, hmacSha256Hex(secret, 'hmacsha256=', req.rawBody)) || ok;
    return ok ? { ok: true } : { ok: false, reason: 'X-LI-Signature does not match' };
  }

  /**
   * LinkedIn has no notification id. A response is created once and deleted once, so the response
   * URN plus the action identifies a notification and makes redeliveries duplicates.
   */
  private extractEvents(payload: unknown): ExtractedEvent[] {
    const notification = narrowNotification(payload);
    // API.md "Webhooks": a verified notification with nothing to process (no lead form response to fetch
    // or delete, an action other than Lead Sync's CREATED/DELETED) is answered `ignored`, not stored to
    // fail its attempts
    const action = notification?.leadAction;
    // a response URN without its id ("urn:li:leadGenFormResponse:") names nothing to fetch or delete either
    if (!notification?.responseUrn || !notification.responseId || (action !== 'CREATED' && action !== 'DELETED'))
      return [];
    return [
      {
        externalId: `${notification.responseUrn}:${action}`,
        eventType: `lead.${action.toLowerCase()}`,
        payload: notification,
      },
    ];
  }

  /**
   * GET ?challengeCode=…[&applicationId=…] (webhook validation, repeated every 2 hours): answer with
   * its HMAC under the client secret of the app it is addressed to. LinkedIn's challenge code is a
   * type-4 UUID (learn.microsoft.com/linkedin/shared/api-guide/webhook-validation); anything else is
   * refused, or the answer would sign attacker-chosen text (a "hmacsha256=<JSON>" code yields exactly
   * the X-LI-Signature of that JSON).
   */
  private handshake(
    query: Readonly<Record<string, string | undefined>>,
    config: IntegrationConfig,
  ): HandshakeResponse | null {
    const challengeCode = query.challengeCode;
    const secret = optionalConfigString(config, 'clientSecret');
    if (!challengeCode || !UUID.test(challengeCode) || !secret) return null;
    if (Object.keys(query).some((name) => name !== 'challengeCode' && name !== 'applicationId')) return null;
    const applicationId = query.applicationId;
    if ('applicationId' in query && applicationId !== optionalConfigString(config, 'clientId')) return null;
    return {
      contentType: 'application/json',
      body: JSON.stringify({ challengeCode, challengeResponse: hmacSha256Hex(secret, challengeCode) }),
    };
  }

  /**
   * Without an embedded form: the form by id. It is the current version; when the lead answered an
   * older one, answers are still matched by question id (stable across versions) and the mismatch logged.
   */
  private async fetchForm(
    ctx: HandlerContext,
    api: LinkedInApi,
    response: JsonRecord,
    notifiedFormUrn: string | undefined,
  ): Promise<unknown> {
    const formUrn = asString(response.versionedLeadGenFormUrn) ?? notifiedFormUrn;
    const formId = leadGenFormId(formUrn);
    if (!formId) return undefined;
    try {
      const form = (await api.leadForm(formId)).body;
      const answered = formVersionOf(formUrn);
      const current = isRecord(form) && typeof form.versionId === 'number' ? form.versionId : undefined;
      if (answered !== undefined && current !== undefined && answered !== current)
        ctx.logger.warn({ formId, answered, current }, 'LinkedIn lead answered an older form version');
      return form;
    } catch (err) {
      // a transient failure is retried with the event; a refusal will not change, so degrade
      if (!(err instanceof OutboundError) || err.transient) throw err;
      ctx.logger.warn({ formId, status: err.status }, 'LinkedIn lead form unavailable; answers kept by question id');
      return undefined;
    }
  }
}
