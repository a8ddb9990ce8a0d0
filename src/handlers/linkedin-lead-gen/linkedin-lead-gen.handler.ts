import { Injectable } from '@nestjs/common';
import { OutboundError, OutboundResponse } from '../../common/outbound/http-client';
import type { JsonSchemaObject, TestResult, WebhookOutcome } from '../handler-types';
import {
  ExtractedEvent,
  HandlerContext,
  HandshakeResponse,
  IntegrationConfig,
  IntegrationHandler,
  PermanentEventError,
  StoredEvent,
  VerificationKeys,
  VerifyResult,
  WebhookRequest,
  WebhookSpec,
} from '../integration-handler';
import { asString, configString, isRecord, optionalConfigString } from '../shared/json';
import { header, hmacSha256Hex, safeEqualHex } from '../shared/signature';
import { embeddedForm, leadFromResponse } from './linkedin-lead-gen.lead';
import { leadGenFormId, narrowNotification, narrowStoredLeadAction, ownerIds } from './linkedin-lead-gen.payload';

export const DEFAULT_LINKEDIN_VERSION = '202510';
const SIGNATURE_PREFIX = /^hmacsha256=/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * LinkedIn Lead Sync: one app-level webhook (routed by the notification's owner) or a URL per
 * integration. Notifications carry no answers; processing fetches the lead form response, and the
 * form when the response does not embed it, to know what each answer is.
 */
@Injectable()
export class LinkedInLeadGenHandler implements IntegrationHandler {
  readonly key = 'linkedin-lead-gen';
  readonly displayName = 'LinkedIn Lead Gen Forms';
  readonly category = 'lead-ads';
  readonly capabilities = ['webhook', 'test'] as const;
  readonly defaultRateLimitPerMinute = 100;

  readonly defaultConfigSchema: JsonSchemaObject = {
    type: 'object',
    title: 'LinkedIn Lead Gen Forms',
    description:
      'Leads from LinkedIn Lead Gen Forms through Lead Sync notifications (leadNotifications) and the Lead Sync API.',
    properties: {
      organizationId: {
        type: 'string',
        title: 'Organization id',
        description:
          'Digits of the owner the lead notifications are subscribed for: the organization (2414183 from urn:li:organization:2414183) or, for ad leads, the sponsored ad account.',
        pattern: '^[0-9]{1,20}$',
      },
      clientId: {
        type: 'string',
        title: 'Client id',
        description: 'Client ID of the LinkedIn app that has Lead Sync access.',
        minLength: 1,
        maxLength: 200,
      },
      clientSecret: {
        type: 'string',
        title: 'Client secret',
        description:
          'Primary client secret of that app: LinkedIn signs every notification (X-LI-Signature) and the webhook challenge with it.',
        minLength: 1,
        'x-secret': true,
      },
      accessToken: {
        type: 'string',
        title: 'Access token',
        description: 'OAuth token of a member with access to the leads (scope r_marketing_leadgen_automation).',
        minLength: 1,
        'x-secret': true,
      },
      apiVersion: {
        type: 'string',
        title: 'LinkedIn-Version',
        description: `Marketing API version, YYYYMM; ${DEFAULT_LINKEDIN_VERSION} when empty. LinkedIn sunsets a version about a year after release.`,
        pattern: '^[0-9]{6}$',
      },
    },
    required: ['organizationId', 'clientId', 'clientSecret', 'accessToken'],
    additionalProperties: false,
  };

  readonly webhook: WebhookSpec = {
    routing: 'both',
    routingKeys: (payload) => ownerIds(payload),
    routingKeyOf: (config) => optionalConfigString(config, 'organizationId'),
    // a notification is about one lead of one owner: it belongs to the key entirely or not at all
    selectForRoutingKey: (payload, key) => (ownerIds(payload).includes(key) ? payload : undefined),
    verificationFields: ['clientSecret'],
    verify: (req, keys) => this.verify(req, keys),
    extractEvents: (payload) => this.extractEvents(payload),
    handshake: (query, config) => this.handshake(query, config),
  };

  async processWebhook(event: StoredEvent, ctx: HandlerContext): Promise<WebhookOutcome> {
    if (event.eventType !== 'lead.created' && event.eventType !== 'lead.deleted') {
      return { leads: [], ignoredReason: `unsupported LinkedIn event ${event.eventType}` };
    }
    const action = narrowStoredLeadAction(event.payload);
    if (!action) throw new PermanentEventError('LinkedIn lead notification has no leadGenFormResponse');
    if (event.eventType === 'lead.deleted') {
      return { leads: [], deletedLeads: [{ platform: 'linkedin', externalId: action.responseId }] };
    }

    let res: OutboundResponse;
    try {
      res = await this.get(ctx, `/rest/leadFormResponses/${encodeURIComponent(action.responseId)}`);
    } catch (err) {
      throw refusalAsPermanent(err, `lead form response ${action.responseId}`);
    }
    if (!isRecord(res.body))
      throw new PermanentEventError(`LinkedIn answered lead form response ${action.responseId} without a JSON object`);
    const formId = leadGenFormId(asString(res.body.versionedLeadGenFormUrn) ?? action.formUrn);
    const form = embeddedForm(res.body) ?? (await this.fetchForm(ctx, formId));
    return { leads: [leadFromResponse(res.body, form, action)] };
  }

  /**
   * Proves the token's member may read this owner's leads: an approved role on the organization
   * (organizationAcls, q=roleAssignee) or a role on the sponsored ad account (adAccountUsers,
   * q=authenticatedUser), the roles Lead Sync requires (learn.microsoft.com/linkedin/marketing/
   * lead-sync/leadsync). An organization id alone is public; reading the organization proves nothing.
   */
  async testConnection(ctx: HandlerContext): Promise<TestResult> {
    const organizationId = configString(ctx.config, 'organizationId');
    try {
      const acls = await this.get(ctx, '/rest/organizationAcls?q=roleAssignee&state=APPROVED&count=100');
      const role = elementsOf(acls.body).find((e) => e.organization === `urn:li:organization:${organizationId}`);
      if (role) {
        return {
          success: true,
          message: `Connected to LinkedIn organization ${organizationId}${typeof role.role === 'string' ? ` (${role.role})` : ''}`,
        };
      }
      const users = await this.get(ctx, '/rest/adAccountUsers?q=authenticatedUser');
      if (elementsOf(users.body).some((e) => e.account === `urn:li:sponsoredAccount:${organizationId}`))
        return { success: true, message: `Connected to LinkedIn ad account ${organizationId}` };
      return {
        success: false,
        code: 'INVALID_CREDENTIALS',
        message: `The member of this access token has no approved role on LinkedIn organization or ad account ${organizationId}`,
      };
    } catch (err) {
      if (!(err instanceof OutboundError)) throw err;
      const secrets = [
        optionalConfigString(ctx.config, 'accessToken'),
        optionalConfigString(ctx.config, 'clientSecret'),
      ];
      if (err.kind === 'auth') {
        return {
          success: false,
          code: 'INVALID_CREDENTIALS',
          message: redact(
            `LinkedIn refused the access token for organization ${organizationId} (HTTP ${err.status ?? '?'}); it may have expired or lack the organization's admin role`,
            secrets,
          ),
        };
      }
      return {
        success: false,
        code: 'CONNECTION_FAILED',
        message: redact(`LinkedIn API call failed: ${err.message}`, secrets),
      };
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
    if (!notification) return [];
    const action = notification.leadAction ?? 'UNKNOWN';
    return [
      {
        externalId: notification.responseUrn ? `${notification.responseUrn}:${action}` : null,
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

  /** The form names the answers; without it (no access, deleted form) they are kept by question id. */
  private async fetchForm(ctx: HandlerContext, formId: string | undefined): Promise<unknown> {
    if (!formId) return undefined;
    try {
      return (await this.get(ctx, `/rest/leadForms/${encodeURIComponent(formId)}`)).body;
    } catch (err) {
      // a transient failure is retried with the event; a refusal will not change, so degrade
      if (!(err instanceof OutboundError) || err.transient) throw err;
      ctx.logger.warn(
        { integrationId: ctx.integrationId, formId, status: err.status },
        'LinkedIn lead form unavailable; answers kept by question id',
      );
      return undefined;
    }
  }

  private get(ctx: HandlerContext, path: string): Promise<OutboundResponse> {
    return ctx.http.request({
      method: 'GET',
      url: `${ctx.urls.linkedin.replace(/\/+$/, '')}${path}`,
      headers: {
        Authorization: `Bearer ${configString(ctx.config, 'accessToken')}`,
        'LinkedIn-Version': optionalConfigString(ctx.config, 'apiVersion') ?? DEFAULT_LINKEDIN_VERSION,
        'X-Restli-Protocol-Version': '2.0.0',
      },
    });
  }
}

/** The `elements` of a LinkedIn collection response. */
function elementsOf(body: unknown): Array<Record<string, unknown>> {
  return isRecord(body) && Array.isArray(body.elements) ? body.elements.filter(isRecord) : [];
}

/** 401/403 and other 4xx will fail the same way on every retry: the event fails now, with a clear reason. */
function refusalAsPermanent(err: unknown, what: string): unknown {
  if (!(err instanceof OutboundError)) return err;
  if (err.kind === 'auth') {
    return new PermanentEventError(
      `LinkedIn refused the access token reading ${what} (HTTP ${err.status ?? '?'}); reconnect with a token that has r_marketing_leadgen_automation`,
    );
  }
  if (err.kind === 'client')
    return new PermanentEventError(`LinkedIn could not return ${what} (HTTP ${err.status ?? '?'}): ${err.message}`);
  return err;
}

/** Belt and braces: a provider message must never carry a credential into a test result. */
function redact(message: string, secrets: Array<string | undefined>): string {
  return secrets.reduce<string>(
    (text, secret) => (secret && secret.length >= 4 ? text.split(secret).join('[redacted]') : text),
    message,
  );
}
