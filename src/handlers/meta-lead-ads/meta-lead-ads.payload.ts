import type { LeadInput, LeadSourceInput } from '../handler-types';
import { asArray, asBoolean, asId, asString, isRecord, JsonRecord } from '../shared/json';

/** Lead fields asked from the Graph API, for one lead and for a form's leads alike. */
export const LEAD_FIELDS =
  'id,created_time,field_data,ad_id,ad_name,adset_id,adset_name,campaign_id,campaign_name,form_id,is_organic,platform';

/** What one stored `leadgen` event holds: the webhook carries ids only, never the answers. */
export interface LeadgenEvent {
  leadgenId: string;
  pageId?: string;
  formId?: string;
  adId?: string;
  /** Meta's legacy name for the ad id (an "adgroup" is an ad), not the ad set. */
  adgroupId?: string;
  /** ISO-8601, from the change's unix `created_time`. */
  createdTime?: string;
}

/** Unix seconds (number or digit string) or an ISO-ish string → ISO-8601; undefined if unreadable. */
export function toIso(value: unknown): string | undefined {
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value.trim()))) {
    const seconds = Number(value);
    return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000).toISOString() : undefined;
  }
  const text = asString(value);
  if (!text) return undefined;
  // Graph writes offsets as +0000; add the colon so every Date parser reads it
  const date = new Date(text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** The event for one `leadgen` change; undefined when it has no leadgen id. */
export function leadgenEventOf(value: unknown, entryId: string | undefined): LeadgenEvent | undefined {
  if (!isRecord(value)) return undefined;
  const leadgenId = asId(value.leadgen_id);
  if (!leadgenId) return undefined;
  return {
    leadgenId,
    pageId: asId(value.page_id) ?? entryId,
    formId: asId(value.form_id),
    adId: asId(value.ad_id),
    adgroupId: asId(value.adgroup_id),
    createdTime: toIso(value.created_time),
  };
}

/** Narrows a stored event's payload (written by leadgenEventOf, possibly long ago). */
export function narrowLeadgenEvent(payload: unknown, externalId: string | null): LeadgenEvent | undefined {
  const record = isRecord(payload) ? payload : {};
  const leadgenId = asId(record.leadgenId) ?? asId(externalId);
  if (!leadgenId) return undefined;
  return {
    leadgenId,
    pageId: asId(record.pageId),
    formId: asId(record.formId),
    adId: asId(record.adId),
    adgroupId: asId(record.adgroupId),
    createdTime: asString(record.createdTime),
  };
}

type StandardField =
  | 'fullName'
  | 'firstName'
  | 'lastName'
  | 'email'
  | 'phone'
  | 'company'
  | 'jobTitle'
  | 'city'
  | 'region'
  | 'postalCode'
  | 'country';

// Meta's field_data names for its prefilled questions; custom questions keep their own names.
const STANDARD_FIELDS: Readonly<Record<string, StandardField>> = {
  full_name: 'fullName',
  first_name: 'firstName',
  last_name: 'lastName',
  email: 'email',
  work_email: 'email',
  phone_number: 'phone',
  company_name: 'company',
  job_title: 'jobTitle',
  city: 'city',
  state: 'region',
  province: 'region',
  zip: 'postalCode',
  zip_code: 'postalCode',
  post_code: 'postalCode',
  postal_code: 'postalCode',
  country: 'country',
};

/**
 * The one mapping from a Graph lead (GET /<lead id> or an item of GET /<form id>/leads) to a
 * LeadInput, used by webhook processing and by sync alike. Undefined when the record has no id or no
 * field_data (a lead without answers cannot become a lead).
 */
export function leadFromGraph(record: unknown): LeadInput | undefined {
  if (!isRecord(record) || !Array.isArray(record.field_data)) return undefined;
  const externalId = asId(record.id);
  if (!externalId) return undefined;

  const standard: Partial<Record<StandardField, string>> = {};
  const customAnswers: Record<string, string> = {};
  for (const field of asArray(record.field_data)) {
    if (!isRecord(field)) continue;
    const name = asString(field.name);
    const answer = asArray(field.values)
      .map((v) => asString(v) ?? asId(v))
      .filter((v): v is string => v !== undefined)
      .join(', ');
    if (!name || answer === '') continue;
    const target = STANDARD_FIELDS[name.toLowerCase()];
    // a second answer for the same field (email and work_email) is kept, not lost
    if (target && standard[target] === undefined) standard[target] = answer;
    else customAnswers[name] = answer;
  }
  if (!standard.fullName && (standard.firstName || standard.lastName)) {
    standard.fullName = [standard.firstName, standard.lastName].filter(Boolean).join(' ');
  }

  return {
    platform: 'meta',
    externalId,
    ...standard,
    ...(Object.keys(customAnswers).length > 0 ? { customAnswers } : {}),
    submittedAt: toIso(record.created_time),
    source: sourceOf(record),
  };
}

function sourceOf(record: JsonRecord): LeadSourceInput {
  const source: LeadSourceInput = {};
  const set = <K extends keyof LeadSourceInput>(key: K, value: LeadSourceInput[K] | undefined): void => {
    if (value !== undefined) source[key] = value;
  };
  set('campaignId', asId(record.campaign_id));
  set('campaignName', asString(record.campaign_name));
  set('adGroupId', asId(record.adset_id));
  set('adGroupName', asString(record.adset_name));
  set('adId', asId(record.ad_id));
  set('adName', asString(record.ad_name));
  set('formId', asId(record.form_id));
  set('isOrganic', asBoolean(record.is_organic));
  return source;
}
