import { Injectable } from '@nestjs/common';
import type {
  JsonSchemaObject,
  LeadInput,
  LeadSourceInput,
  SyncPage,
  TestResult,
  WebhookOutcome,
} from '../handler-types';
import type { HandlerContext } from '../integration-handler';
import type { HandlerOAuth } from '../oauth/oauth-provider';
import {
  GOOGLE_ADS_SPEND_PROPERTIES,
  googleAdsSpendTest,
  hasGoogleAdsSpend,
  syncGoogleAdsSpend,
} from './google-ads-spend';
import {
  ExtractedEvent,
  IntegrationHandler,
  PermanentEventError,
  StoredEvent,
  VerificationKeys,
  VerifyResult,
  WebhookRequest,
  WebhookSpec,
} from '../integration-handler';
import { optionalConfigString } from '../shared/json';
import { safeEqual } from '../shared/signature';
import {
  GoogleLead,
  GoogleLeadColumn,
  narrowGoogleLead,
  parseGoogleBody,
  toStoredPayload,
} from './google-ads-lead-forms.payload';
import { GOOGLE_ADS_LEAD_FORMS_SETUP } from './setup-instructions';

type LeadTextField =
  | 'fullName'
  | 'firstName'
  | 'lastName'
  | 'email'
  | 'phone'
  | 'postalCode'
  | 'city'
  | 'region'
  | 'country'
  | 'company'
  | 'jobTitle';

/** Google's predefined column ids and the lead field each fills. */
const STANDARD_COLUMNS: Readonly<Record<string, LeadTextField>> = {
  FULL_NAME: 'fullName',
  FIRST_NAME: 'firstName',
  LAST_NAME: 'lastName',
  // the Ads API (LeadFormFieldUserInputType) names the same inputs GIVEN_NAME / FAMILY_NAME
  GIVEN_NAME: 'firstName',
  FAMILY_NAME: 'lastName',
  EMAIL: 'email',
  PHONE_NUMBER: 'phone',
  POSTAL_CODE: 'postalCode',
  CITY: 'city',
  REGION: 'region',
  COUNTRY: 'country',
  COMPANY_NAME: 'company',
  JOB_TITLE: 'jobTitle',
};

/** Work contact columns fill email/phone only when the form has no personal one; otherwise they are kept as answers. */
const FALLBACK_COLUMNS: Readonly<Record<string, { field: 'email' | 'phone'; preferred: string }>> = {
  WORK_EMAIL: { field: 'email', preferred: 'EMAIL' },
  WORK_PHONE: { field: 'phone', preferred: 'PHONE_NUMBER' },
};

/**
 * Google Ads lead form webhooks. There is no signature: Google puts the key the advertiser typed
 * into the form's webhook settings in the body (google_key), so each integration has its own URL
 * and the key is compared in constant time. With a customerId (issue 15) it also pulls the account's daily campaign spend from the Google Ads API.
 */
@Injectable()
export class GoogleAdsLeadFormsHandler implements IntegrationHandler {
  readonly key = 'google-ads-lead-forms';
  readonly displayName = 'Google Ads lead forms';
  readonly setupInstructions = GOOGLE_ADS_LEAD_FORMS_SETUP;
  readonly category = 'Advertising';
  /** sync and test reach the Google Ads API only for an integration with a customerId (its ad spend). */
  readonly capabilities = ['webhook', 'sync', 'test'] as const;
  readonly defaultRateLimitPerMinute = 60;
  /** What a sync needs in the config; without it the integration is webhook-only (nothing to sync). */
  readonly syncRequires = 'customerId';
  /** "Connect with Google" with the adwords scope (developers.google.com/google-ads/api/docs/oauth/overview) for ad spend. */
  readonly oauth: HandlerOAuth = {
    provider: 'google',
    scopes: ['https://www.googleapis.com/auth/adwords'],
    tokenField: 'accessToken',
  };

  readonly defaultConfigSchema: JsonSchemaObject = {
    type: 'object',
    title: 'Google Ads lead forms',
    description:
      "Leads from Google Ads lead form assets, delivered by the form's webhook integration to this integration's webhook URL.",
    properties: {
      googleKey: {
        type: 'string',
        title: 'Webhook key',
        description:
          "The key typed into the lead form's webhook settings next to the webhook URL. Google sends it in every lead (google_key); leads with another key are rejected.",
        minLength: 1,
        maxLength: 1000,
        'x-secret': true,
      },
      ...GOOGLE_ADS_SPEND_PROPERTIES,
    },
    required: ['googleKey'],
    additionalProperties: false,
  };

  readonly webhook: WebhookSpec = {
    routing: 'integration',
    verificationFields: ['googleKey'],
    // API.md "Webhooks": "Signatures are checked over the exact raw request bytes, in constant time,
    // before any parsing work beyond what routing needs." Google signs nothing: the google_key field
    // inside the JSON body is the credential, so parsing the body is part of verification, and a body
    // that is not JSON cannot be verified: it stays a 400 (a generic webhook's answers 401 unless signed)
    verifyReadsBody: true,
    verify: (req, keys) => this.verify(req, keys),
    extractEvents: (payload, req) => this.extractEvents(payload, req),
  };

  async testConnection(ctx: HandlerContext): Promise<TestResult> {
    if (hasGoogleAdsSpend(ctx.config)) return googleAdsSpendTest(ctx);
    return {
      success: true,
      message: 'Google Ads lead forms have no API to test; send test data from the form to verify the webhook',
    };
  }

  /** The account's campaign spend over the trailing window (google-ads-spend.ts). */
  syncData(ctx: HandlerContext, cursor: string | null): Promise<SyncPage> {
    return syncGoogleAdsSpend(ctx, cursor);
  }

  async processWebhook(event: StoredEvent): Promise<WebhookOutcome> {
    const lead = narrowGoogleLead(event.payload);
    if (!lead) throw new PermanentEventError('Google Ads lead has no lead_id');
    return { leads: [toLeadInput(lead)] };
  }

  /** The configured key, and the previous one while a change's grace period lasts (forms still send it). */
  private verify(req: WebhookRequest, keys: VerificationKeys): VerifyResult {
    const expected = [optionalConfigString(keys.config, 'googleKey'), keys.previousSecrets?.googleKey].filter(
      (k): k is string => !!k,
    );
    if (expected.length === 0) return { ok: false, reason: 'integration has no googleKey configured' };
    const body = parseGoogleBody(req.rawBody);
    if (!body) return { ok: false, reason: 'body is not a JSON object' };
    const received = body.google_key;
    if (typeof received !== 'string' || received === '') return { ok: false, reason: 'body has no google_key' };
    let ok = false;
    for (const key of expected) ok = safeEqual(received, key) || ok;
    return ok ? { ok: true } : { ok: false, reason: 'google_key does not match' };
  }

  private extractEvents(payload: unknown, req: WebhookRequest): ExtractedEvent[] {
    // re-parse the raw bytes: the pipeline's JSON.parse has already rounded int64 ids above 2^53
    const body = parseGoogleBody(req.rawBody);
    if (!body) return [];
    const stored = toStoredPayload(body);
    // lead_id is unique across all forms (Google: "use this to dedupe leads"); without one there is no
    // lead to process: answered `ignored` (API.md "Webhooks"), not stored to fail its attempts
    const leadId = narrowGoogleLead(stored)?.leadId;
    return leadId === undefined ? [] : [{ externalId: leadId, eventType: 'lead', payload: stored }];
  }
}

/** Maps a Google lead to the hub's lead: predefined columns to fields, everything else to answers. */
export function toLeadInput(lead: GoogleLead): LeadInput {
  const fields: Partial<Record<LeadTextField, string>> = {};
  const customAnswers: Record<string, string> = {};
  const present = new Set(lead.columns.map((c) => c.columnId));

  for (const column of lead.columns) {
    const id = column.columnId ?? '';
    const standard = STANDARD_COLUMNS[id];
    const fallback = FALLBACK_COLUMNS[id];
    const field = standard ?? (fallback && !present.has(fallback.preferred) ? fallback.field : undefined);
    // the first answer for a field wins; a second one is kept rather than dropped
    if (field && fields[field] === undefined) fields[field] = column.value;
    else addAnswer(customAnswers, column);
  }

  const source: LeadSourceInput = {};
  if (lead.campaignId) source.campaignId = lead.campaignId;
  if (lead.adGroupId) source.adGroupId = lead.adGroupId;
  if (lead.creativeId) source.creativeId = lead.creativeId;
  if (lead.assetGroupId) source.assetGroupId = lead.assetGroupId;
  if (lead.formId) source.formId = lead.formId;
  if (lead.gclid) source.gclid = lead.gclid;
  if (lead.leadStage) source.leadStage = lead.leadStage;

  const submittedAt = isoTime(lead.submitTime);
  return {
    platform: 'google-ads',
    externalId: lead.leadId,
    ...fields,
    ...(Object.keys(customAnswers).length > 0 ? { customAnswers } : {}),
    ...(lead.isTest !== undefined ? { isTest: lead.isTest } : {}),
    ...(submittedAt ? { submittedAt } : {}),
    source,
  };
}

/** Keyed by the question text when Google sends it, else by the column id; never overwrites. */
function addAnswer(answers: Record<string, string>, column: GoogleLeadColumn): void {
  const base = column.columnName ?? column.columnId ?? 'answer';
  let key = base;
  for (let n = 2; Object.prototype.hasOwnProperty.call(answers, key); n++) key = `${base} (${n})`;
  // defineProperty: a question named "__proto__" stays an ordinary answer
  Object.defineProperty(answers, key, { value: column.value, enumerable: true, writable: true, configurable: true });
}

function isoTime(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}
