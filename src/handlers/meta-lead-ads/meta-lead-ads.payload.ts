import type { LeadConsent, LeadInput, LeadSourceInput } from '../handler-types';
import { instantMs } from '../shared/instant';
import { asBoolean, asId, asRecords, asString, isRecord, JsonRecord } from '../shared/json';

/**
 * Lead fields asked from the Graph API, for one lead and for a form's leads alike (the Lead object's
 * fields in the official facebook-nodejs-business-sdk, src/objects/lead.js): answers, attribution,
 * `platform` (fb/ig), `partner_name` and `custom_disclaimer_responses` (the consent checkboxes).
 */
export const LEAD_FIELDS =
  'id,created_time,field_data,ad_id,ad_name,adset_id,adset_name,campaign_id,campaign_name,form_id,is_organic,platform,partner_name,custom_disclaimer_responses';

/** A form's questions: `key` is what field_data names an answer, `type` what the question asks (LeadGenQuestion). */
export const FORM_QUESTION_FIELDS = 'id,name,questions{key,type,label}';

export interface MetaFormQuestion {
  key: string;
  type?: string;
  label?: string;
}

/** What a lead's form says about its leads: its questions by key, and its name. */
export interface MetaLeadForm {
  questions: Map<string, MetaFormQuestion>;
  name?: string;
}

/**
 * A form as GET /<form id>?fields=id,name,questions{…} answers it. `name` is a LeadgenForm field
 * (facebook-python-business-sdk, facebook_business/adobjects/leadgenform.py); the Lead object itself
 * has no form name, so this is where a lead's sourceTracking.formName comes from.
 */
export function leadFormOf(form: unknown): MetaLeadForm {
  const name = isRecord(form) ? asString(form.name) : undefined;
  return { questions: formQuestionsOf(form), ...(name ? { name } : {}) };
}

/** The questions of a form (GET /<form id>?fields=questions{key,type,label}) by key. */
export function formQuestionsOf(form: unknown): Map<string, MetaFormQuestion> {
  const questions = new Map<string, MetaFormQuestion>();
  const list = isRecord(form) ? (isRecord(form.questions) ? form.questions.data : form.questions) : undefined;
  for (const question of asRecords(list)) {
    const key = asString(question.key);
    if (!key) continue;
    const type = asString(question.type)?.toUpperCase();
    const label = asString(question.label);
    questions.set(key, { key, ...(type ? { type } : {}), ...(label ? { label } : {}) });
  }
  return questions;
}

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
    const ms = instantMs(Number(value) * 1000);
    return ms === undefined ? undefined : new Date(ms).toISOString();
  }
  const text = asString(value);
  if (!text) return undefined;
  // Graph writes offsets as +0000; add the colon so every Date parser reads it
  const ms = instantMs(Date.parse(text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')));
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

/**
 * A Meta object id, or undefined: Graph ids are positive, so `0` (what simulators and test setups
 * put in `ad_id` / `adgroup_id` of a lead no ad brought, such as the Lead Ads Testing Tool's organic
 * leads) names no object, and would otherwise be tracked as the lead's ad or read as its form.
 */
export function objectId(value: unknown): string | undefined {
  const id = asId(value);
  return id === undefined || /^0+$/.test(id) ? undefined : id;
}

/** The event for one `leadgen` change; undefined when it has no leadgen id. */
export function leadgenEventOf(value: unknown, entryId: string | undefined): LeadgenEvent | undefined {
  if (!isRecord(value)) return undefined;
  const leadgenId = asId(value.leadgen_id);
  if (!leadgenId) return undefined;
  return {
    leadgenId,
    pageId: asId(value.page_id) ?? entryId,
    formId: objectId(value.form_id),
    adId: objectId(value.ad_id),
    adgroupId: objectId(value.adgroup_id),
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
    formId: objectId(record.formId),
    adId: objectId(record.adId),
    adgroupId: objectId(record.adgroupId),
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

/**
 * Question types with a lead field of their own. A form may give a standard question any key, so
 * with the form's questions the type decides, not the key ("custom field ids are returned as-is").
 */
const TYPE_FIELDS: Readonly<Record<string, StandardField>> = {
  FULL_NAME: 'fullName',
  FIRST_NAME: 'firstName',
  LAST_NAME: 'lastName',
  EMAIL: 'email',
  PHONE: 'phone',
  COMPANY_NAME: 'company',
  JOB_TITLE: 'jobTitle',
  CITY: 'city',
  STATE: 'region',
  PROVINCE: 'region',
  ZIP: 'postalCode',
  POST_CODE: 'postalCode',
  COUNTRY: 'country',
};
/** Work contacts fill email/phone only when no personal one was answered; otherwise they stay answers. */
const TYPE_FALLBACKS: Readonly<Record<string, { field: StandardField; preferred: string }>> = {
  WORK_EMAIL: { field: 'email', preferred: 'EMAIL' },
  WORK_PHONE_NUMBER: { field: 'phone', preferred: 'PHONE' },
};

// Without the form: Meta's field_data names for its prefilled questions; custom questions keep their own names.
const STANDARD_FIELDS: Readonly<Record<string, StandardField>> = {
  full_name: 'fullName',
  first_name: 'firstName',
  last_name: 'lastName',
  email: 'email',
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
 * An answer's values as texts (ids kept as text, blanks dropped). Graph writes `values` as a list
 * (several for a multiple-choice question, UserLeadGenFieldData in the SDKs); a bare value is read
 * as a list of one rather than lost.
 */
function valuesOf(field: JsonRecord): string[] {
  return (Array.isArray(field.values) ? field.values : [field.values])
    .map((v) => asString(v) ?? asId(v))
    .filter((v): v is string => v !== undefined);
}

/** The answer's text: values joined (multiple choice). */
function answerOf(field: JsonRecord): string {
  return valuesOf(field).join(', ');
}

/**
 * The same rule by prefill name, for a lead read without its form: `work_email` is the email only when
 * no `email` was answered, whatever the order of field_data (Meta's lead-ads docs say nothing of which
 * wins; this is the hub's rule, the one TYPE_FALLBACKS applies by question type).
 */
const NAME_FALLBACKS: Readonly<Record<string, { field: StandardField; preferred: string }>> = {
  work_email: { field: 'email', preferred: 'email' },
};

/** Which lead field an answer fills: by the question's type when the form is known, else by Meta's prefill names. */
function targetOf(
  name: string,
  questions: ReadonlyMap<string, MetaFormQuestion>,
  answeredTypes: ReadonlySet<string | undefined>,
  answeredNames: ReadonlySet<string>,
): StandardField | undefined {
  const question = questions.get(name);
  if (!question) {
    const key = name.toLowerCase();
    const fallback = NAME_FALLBACKS[key];
    return STANDARD_FIELDS[key] ?? (fallback && !answeredNames.has(fallback.preferred) ? fallback.field : undefined);
  }
  const type = question.type ?? '';
  const fallback = TYPE_FALLBACKS[type];
  return TYPE_FIELDS[type] ?? (fallback && !answeredTypes.has(fallback.preferred) ? fallback.field : undefined);
}

/** `custom_disclaimer_responses` ([{checkbox_key, is_checked}], UserLeadGenDisclaimerResponse in the SDK). */
function consentsOf(record: JsonRecord): LeadConsent[] {
  const consents: LeadConsent[] = [];
  for (const response of asRecords(record.custom_disclaimer_responses)) {
    const key = asId(response.checkbox_key);
    const checked = response.is_checked;
    const accepted = typeof checked === 'boolean' ? checked : checked === '1' || checked === 1 || checked === 'true';
    if (key !== undefined) consents.push({ key, accepted });
  }
  return consents;
}

/**
 * The one mapping from a Graph lead (GET /<lead id> or an item of GET /<form id>/leads) to a
 * LeadInput, used by webhook processing and by sync alike. With the form's questions, standard
 * fields are recognised by question type whatever their key; every other answer is kept as a
 * custom answer under its key. Undefined when the record has no id or no field_data.
 */
export function leadFromGraph(
  record: unknown,
  questions: ReadonlyMap<string, MetaFormQuestion> = new Map(),
  formName?: string,
): LeadInput | undefined {
  if (!isRecord(record) || !Array.isArray(record.field_data)) return undefined;
  const externalId = asId(record.id);
  if (!externalId) return undefined;

  // only answered questions count: an EMAIL question left empty does not keep the work e-mail out,
  // by the form's question types as by Meta's prefill names
  const fields = asRecords(record.field_data);
  const answered = fields.filter((f) => answerOf(f) !== '');
  const answeredTypes = new Set(answered.map((f) => questions.get(asString(f.name) ?? '')?.type));
  const answeredNames = new Set(answered.map((f) => (asString(f.name) ?? '').toLowerCase()));
  const standard: Partial<Record<StandardField, string>> = {};
  const customAnswers: Record<string, string> = {};
  const keepAnswer = (name: string, answer: string): void => {
    Object.defineProperty(customAnswers, name, { value: answer, enumerable: true, writable: true, configurable: true });
  };
  for (const field of fields) {
    const name = asString(field.name);
    const values = valuesOf(field);
    if (!name || values.length === 0) continue;
    const answer = values.join(', ');
    const target = targetOf(name, questions, answeredTypes, answeredNames);
    if (target && standard[target] === undefined) {
      // a contact field holds one value: "a@x.example, b@y.example" is no e-mail and two numbers no
      // phone. The first fills the lead; all of them stay readable as the answer
      standard[target] = values[0];
      if (values.length > 1) keepAnswer(name, answer);
    }
    // a second answer for the same field (email and work_email) is kept, not lost
    else keepAnswer(name, answer);
  }
  // first and last name make a full name; one of them alone is not one (LeadWriter keeps it from
  // replacing a stored full name)
  if (!standard.fullName && standard.firstName && standard.lastName) {
    standard.fullName = `${standard.firstName} ${standard.lastName}`;
  }
  const consents = consentsOf(record);

  return {
    platform: 'meta',
    externalId,
    ...standard,
    ...(Object.keys(customAnswers).length > 0 ? { customAnswers } : {}),
    submittedAt: toIso(record.created_time),
    ...(consents.length > 0 ? { consents } : {}),
    source: { ...sourceOf(record), ...(formName ? { formName } : {}) },
  };
}

function sourceOf(record: JsonRecord): LeadSourceInput {
  const source: LeadSourceInput = {};
  const set = <K extends keyof LeadSourceInput>(key: K, value: LeadSourceInput[K] | undefined): void => {
    if (value !== undefined) source[key] = value;
  };
  set('campaignId', objectId(record.campaign_id));
  set('campaignName', asString(record.campaign_name));
  set('adGroupId', objectId(record.adset_id));
  set('adGroupName', asString(record.adset_name));
  set('adId', objectId(record.ad_id));
  set('adName', asString(record.ad_name));
  set('formId', objectId(record.form_id));
  set('isOrganic', asBoolean(record.is_organic));
  // fb or ig: where the person saw the form; partner_name: the CRM partner a lead was shared through
  const details: Record<string, string> = {};
  const platform = asString(record.platform);
  if (platform) details.platform = platform;
  const partner = asString(record.partner_name);
  if (partner) details.partnerName = partner;
  if (Object.keys(details).length > 0) source.details = details;
  return source;
}
