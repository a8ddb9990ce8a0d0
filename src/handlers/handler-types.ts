import type { MessagingEvent } from './shared/meta-messaging';

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

/**
 * The platform a lead is attributed to: a provider's provider.ts `platform` (LEAD_PLATFORMS lists them),
 * or `manual` for a lead a person entered.
 */
export type LeadPlatform = string;

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
  /**
   * Attribution the columns above have no place for, kept with the touch: UTM values, Meta's
   * `platform` (fb/ig) and `partner_name`, WhatsApp's `ctwa_clid` and click-to-WhatsApp referral.
   */
  details?: Readonly<Record<string, string>>;
}

/** A consent checkbox of a lead form and whether the person ticked it (Meta disclaimers, LinkedIn consents). */
export interface LeadConsent {
  /** The provider's id for the checkbox (Meta `checkbox_key`, LinkedIn `consentId`). */
  key: string;
  /** Its text, when the form is known. */
  label?: string;
  accepted: boolean;
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
  /**
   * When the provider's record was as given here (ISO-8601): a contact's last change (GoHighLevel's
   * dateUpdated, or the delivery's arrival for an update without one); submittedAt when absent.
   * A record older than what the lead already holds only fills its empty fields: providers deliver
   * out of order (a ContactCreate after its ContactUpdate), and the older one must not undo the newer.
   */
  observedAt?: string;
  /**
   * `integration`: `externalId` is unique only within the integration that sent it (a generic
   * webhook's sender numbers its submissions 1, 2, 3 …, as the next form tool does), so it matches a
   * lead only for that integration. By default a platform's ids are the platform's (a Meta leadgen id,
   * a GoHighLevel contact id), matched across every integration of the sub-account.
   */
  externalIdScope?: 'integration';
  /** Further ids the platform knows this person by (a WhatsApp user's BSUID beside the wa_id): matched and kept too. */
  otherExternalIds?: readonly string[];
  /** Consents given with this submission; kept with its source row. */
  consents?: readonly LeadConsent[];
  source: LeadSourceInput;
}

/** The lead's own text fields (LeadInput's optional strings about the person). */
export const LEAD_TEXT_FIELDS = [
  'fullName',
  'firstName',
  'lastName',
  'email',
  'phone',
  'company',
  'jobTitle',
  'city',
  'region',
  'postalCode',
  'country',
] as const satisfies ReadonlyArray<keyof LeadInput>;

export type LeadStatus = 'NEW' | 'CONTACTED' | 'QUALIFIED' | 'CONVERTED' | 'LOST';

/** Changes to leads known by a platform id (GHL opportunities, LinkedIn deletions …). */
export interface LeadReference {
  platform: LeadPlatform;
  externalId: string;
}

export interface LeadStatusChange extends LeadReference {
  status: LeadStatus;
  /**
   * When the provider says the change happened (ISO-8601; the delivery's arrival when it does not say).
   * Deliveries and replays may come out of order: a change older than the lead's latest status change
   * is not applied, and the fact is dated with it (never later than its application).
   */
  changedAt?: string;
}

export interface BookingInput extends LeadReference {
  externalBookingId: string;
  calendarId?: string;
  title?: string;
  startTime?: string;
  endTime?: string;
  status?: string;
  /**
   * When the provider last changed the booking (ISO 8601). Deliveries may be applied out of order:
   * an older change never overwrites a newer one, and a deletion only yields to a strictly newer change.
   */
  changedAt?: string;
}

export interface InteractionInput extends LeadReference {
  // externalId (from LeadReference) is the lead's; the message's own id is externalMessageId
  channel: string;
  direction: 'inbound' | 'outbound';
  body?: string;
  occurredAt?: string;
  externalMessageId?: string;
}

/** A platform says one of its people now has another id too (WhatsApp `user_changed_user_id`). */
export interface LeadAlias extends LeadReference {
  aliasExternalId: string;
}

/** Where a CRM's sales pipeline has a lead (GoHighLevel opportunity stage). */
export interface LeadPipelineStageChange extends LeadReference {
  opportunityId: string;
  pipelineId: string;
  pipelineName?: string;
  stageId: string;
  stageName?: string;
  /** The opportunity's own status (open, won, lost, abandoned) as the CRM names it. */
  opportunityStatus?: string;
  /** When the CRM says the change happened (ISO-8601); later changes win over earlier ones. */
  changedAt?: string;
}

/** What processing one stored webhook event produced. Empty arrays mean "nothing to apply". */
export interface WebhookOutcome {
  leads: LeadInput[];
  deletedLeads?: LeadReference[];
  statusChanges?: LeadStatusChange[];
  bookings?: BookingInput[];
  interactions?: InteractionInput[];
  stageChanges?: LeadPipelineStageChange[];
  /** Applied only to a lead that exists: an identity change of an unknown contact creates nothing. */
  aliases?: LeadAlias[];
  /** Set when the event is understood but deliberately not applied (e.g. an unsupported event type). */
  ignoredReason?: string;
  /**
   * A Messenger / Instagram event for the conversation model (conversation, message, receipts),
   * applied with the leads in the same transaction.
   */
  messaging?: MessagingEvent;
}

/**
 * One day of ad spend for one ad object, for cost-per-lead attribution. A platform may report several
 * levels of the same money (Google Ads: campaign, ad group and ad; LinkedIn: campaign and creative;
 * Facebook Ads: ad only, each row naming its ad set): readers sum one level only, per integration and
 * day the coarsest stored (the view ad_costs_summed). `level` 'adset' is Facebook's ad set and Google
 * Ads' ad group; `adSetId` / `adId` are '' above their level.
 */
export interface AdCostInput {
  platform: 'facebook-ads' | 'google-ads' | 'linkedin';
  day: string; // YYYY-MM-DD
  level: 'campaign' | 'adset' | 'ad';
  campaignId: string;
  adSetId?: string;
  adId?: string;
  /** The name of the row's own object. */
  name?: string;
  campaignName?: string;
  adSetName?: string;
  adName?: string;
  /** In the account's currency; a decimal string keeps a provider's exact amount (Google micros, LinkedIn's strings). */
  spend: number | string;
  currency?: string;
  impressions: number;
  clicks: number;
  leads: number;
  /** Platform-reported conversions, a decimal string (fractional on Google Ads). */
  conversions?: string;
}

/**
 * One day of website traffic for one source / medium / campaign (Google Analytics Data API), for
 * joining analytics by campaign. `day` is the property's local date.
 */
export interface TrafficInput {
  platform: 'google-analytics';
  day: string; // YYYY-MM-DD
  source: string;
  medium: string;
  campaignName: string;
  campaignId: string;
  sessions: number;
  engagedSessions: number;
  /** GA4 key events (formerly "conversions"); fractional when a key event counts once per session. */
  keyEvents: number;
}

/** A page of a sync: records plus the cursor to resume from. */
export interface SyncPage {
  leads: LeadInput[];
  costs?: AdCostInput[];
  traffic?: TrafficInput[];
  /**
   * On the last page of a run that re-pulled spend: the days (the account's, inclusive) whose spend the
   * run reported completely. Stored rows of those days that the run did not report are zeroed (the
   * platform no longer reports them, e.g. a corrected day with no spend), so totals match the platform.
   */
  costWindow?: { from: string; to: string };
  /** Opaque to the pipeline; null when the run is complete. */
  nextCursor: string | null;
  /**
   * On the last page (nextCursor null): where the next run should start (incremental syncs, e.g.
   * "contacts updated since T"). Without it the next run starts from scratch.
   */
  nextRunCursor?: string | null;
  fetched: number;
}
