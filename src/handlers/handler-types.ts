/**
 * What handlers return to the pipelines. Handlers never touch the database: they parse, verify,
 * call their provider through the shared HTTP client, and return these typed results.
 */

/** A JSON Schema (draft 2020-12) describing an object; `x-secret: true` marks a secret property. */
export interface JsonSchemaObject {
  type: 'object';
  properties: Record<string, Record<string, unknown>>;
  required?: string[];
  additionalProperties?: boolean;
  [keyword: string]: unknown;
}

export type Capability = 'webhook' | 'sync' | 'test' | 'send';

/** A problem JSON Schema cannot express, reported with the JSON pointer of the field. */
export interface ConfigProblem {
  pointer: string;
  message: string;
}

export interface TestResult {
  success: boolean;
  code?: 'INVALID_CREDENTIALS' | 'CONNECTION_FAILED';
  message: string;
  details?: unknown[];
}

export type LeadPlatform = 'meta' | 'google-ads' | 'linkedin' | 'gohighlevel' | 'generic' | 'whatsapp';

/** Where a lead came from: campaign/ad attribution as far as the platform tells it. */
export interface LeadSourceInput {
  campaignId?: string;
  campaignName?: string;
  adGroupId?: string;
  adGroupName?: string;
  adId?: string;
  adName?: string;
  formId?: string;
  formName?: string;
  creativeId?: string;
  assetGroupId?: string;
  gclid?: string;
  isOrganic?: boolean;
  leadStage?: string;
  cost?: number;
  currency?: string;
}

/** One person as a platform reports them; the leads pipeline deduplicates and persists it. */
export interface LeadInput {
  platform: LeadPlatform;
  /** The platform's id for this submission/contact (Meta leadgen id, Google lead id, GHL contact id …). */
  externalId: string;
  fullName?: string;
  firstName?: string;
  lastName?: string;
  email?: string;
  phone?: string;
  company?: string;
  jobTitle?: string;
  city?: string;
  region?: string;
  postalCode?: string;
  country?: string;
  tags?: string[];
  /** Answers that have no standard field, keyed by question/column name. */
  customAnswers?: Record<string, string>;
  isTest?: boolean;
  /** When the person submitted (ISO-8601). */
  submittedAt?: string;
  source: LeadSourceInput;
}

export type LeadStatus = 'NEW' | 'CONTACTED' | 'QUALIFIED' | 'CONVERTED' | 'LOST';

/** Changes to leads known by a platform id (GHL opportunities, LinkedIn deletions …). */
export interface LeadReference {
  platform: LeadPlatform;
  externalId: string;
}

export interface LeadStatusChange extends LeadReference {
  status: LeadStatus;
}

export interface BookingInput extends LeadReference {
  externalBookingId: string;
  calendarId?: string;
  title?: string;
  startTime?: string;
  endTime?: string;
  status?: string;
}

export interface InteractionInput extends LeadReference {
  // externalId (from LeadReference) is the lead's; the message's own id is externalMessageId
  channel: string;
  direction: 'inbound' | 'outbound';
  body?: string;
  occurredAt?: string;
  externalMessageId?: string;
}

/** What processing one stored webhook event produced. Empty arrays mean "nothing to apply". */
export interface WebhookOutcome {
  leads: LeadInput[];
  deletedLeads?: LeadReference[];
  statusChanges?: LeadStatusChange[];
  bookings?: BookingInput[];
  interactions?: InteractionInput[];
  /** Set when the event is understood but deliberately not applied (e.g. an unsupported event type). */
  ignoredReason?: string;
}

/** One day of ad spend for one ad object (Facebook Ads insights), for cost-per-lead attribution. */
export interface AdCostInput {
  platform: 'facebook-ads' | 'google-ads';
  day: string; // YYYY-MM-DD
  level: 'campaign' | 'adset' | 'ad';
  campaignId: string;
  adSetId?: string;
  adId?: string;
  name?: string;
  spend: number;
  currency?: string;
  impressions: number;
  clicks: number;
  leads: number;
}

/** A page of a sync: records plus the cursor to resume from. */
export interface SyncPage {
  leads: LeadInput[];
  costs?: AdCostInput[];
  /** Opaque to the pipeline; null when the run is complete. */
  nextCursor: string | null;
  fetched: number;
}
