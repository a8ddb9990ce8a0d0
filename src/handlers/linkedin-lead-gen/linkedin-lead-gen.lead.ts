/**
 * A lead form response (GET /rest/leadFormResponses/{id}, fixtures/lead-form-response.*.json) as
 * the hub's lead. Answers carry only a questionId: what a question asks, and which predefined field
 * (EMAIL, FIRST_NAME …) it is, lives on the form (content.questions[]).
 */
import type { LeadConsent, LeadInput, LeadSourceInput } from '../handler-types';
import { asArray, asBoolean, asId, asRecords, asString, isRecord, JsonRecord } from '../shared/json';
import { epochToIso, LeadAction, leadGenFormId, urnId } from './linkedin-lead-gen.payload';

type LeadTextField =
  'firstName' | 'lastName' | 'email' | 'phone' | 'company' | 'jobTitle' | 'city' | 'region' | 'country' | 'postalCode';

/** LinkedIn's predefined question fields that have a lead field of their own. */
const PREDEFINED_FIELDS: Readonly<Record<string, LeadTextField>> = {
  FIRST_NAME: 'firstName',
  LAST_NAME: 'lastName',
  EMAIL: 'email',
  PHONE_NUMBER: 'phone',
  COMPANY_NAME: 'company',
  JOB_TITLE: 'jobTitle',
  CITY: 'city',
  STATE: 'region',
  COUNTRY: 'country',
  ZIP_CODE: 'postalCode',
};

/** Work contacts fill email/phone only when the form has no personal one; otherwise they stay answers. */
const FALLBACK_FIELDS: Readonly<Record<string, { field: 'email' | 'phone'; preferred: string }>> = {
  WORK_EMAIL: { field: 'email', preferred: 'EMAIL' },
  WORK_PHONE_NUMBER: { field: 'phone', preferred: 'PHONE_NUMBER' },
  MOBILE_PHONE_NUMBER: { field: 'phone', preferred: 'PHONE_NUMBER' },
};

export interface FormQuestion {
  label?: string;
  predefinedField?: string;
  /** Multiple-choice option id (or position) → its text. */
  options: Map<string, string>;
}

/** The questions of a lead form by questionId; empty when the form is unknown. */
export function formQuestions(form: unknown): Map<string, FormQuestion> {
  const questions = new Map<string, FormQuestion>();
  if (!isRecord(form) || !isRecord(form.content)) return questions;
  for (const question of asRecords(form.content.questions)) {
    const id = asId(question.questionId);
    if (!id) continue;
    const details = isRecord(question.questionDetails)
      ? question.questionDetails.multipleChoiceQuestionDetails
      : undefined;
    const options = new Map<string, string>();
    asRecords(isRecord(details) ? details.options : undefined).forEach((option, index) => {
      const text = localized(option.text);
      if (text) options.set(asId(option.id) ?? String(index), text);
    });
    questions.set(id, {
      label: localized(question.question) ?? asString(question.name),
      predefinedField: asString(question.predefinedField),
      options,
    });
  }
  return questions;
}

/**
 * The form the lead answered, embedded in the response: `form` through the field projection
 * (linkedin-api.ts LEAD_RESPONSE_FIELDS), or the older `versionedLeadGenFormUrn~` decoration.
 */
export function embeddedForm(response: JsonRecord): JsonRecord | undefined {
  for (const form of [response.form, response['versionedLeadGenFormUrn~']]) {
    if (isRecord(form) && isRecord(form.content)) return form;
  }
  return undefined;
}

/** The version in urn:li:versionedLeadGenForm:(urn:li:leadGenForm:7234246,1) → 1. */
export function formVersionOf(urn: string | undefined): number | undefined {
  const version = urn ? /urn:li:leadGenForm:\d+,(\d+)\)/.exec(urn)?.[1] : undefined;
  return version === undefined ? undefined : Number(version);
}

/** Consent responses with their text from the form's legalInfo.consents (same consentId). */
function consentsOf(formResponse: JsonRecord, form: unknown): LeadConsent[] {
  const texts = new Map<string, string>();
  const legal =
    isRecord(form) && isRecord(form.content) && isRecord(form.content.legalInfo) ? form.content.legalInfo : {};
  for (const consent of asRecords(legal.consents)) {
    const id = asId(consent.id);
    const text = localized(consent.consent);
    if (id !== undefined && text) texts.set(id, text);
  }
  const consents: LeadConsent[] = [];
  for (const response of asRecords(formResponse.consentResponses)) {
    const key = asId(response.consentId);
    const accepted = asBoolean(response.accepted);
    if (key === undefined || accepted === undefined) continue;
    const label = texts.get(key);
    consents.push({ key, accepted, ...(label ? { label } : {}) });
  }
  return consents;
}

/**
 * Hidden fields (`[{name, value}]`, UTM values a form carries per campaign): on the response when
 * LinkedIn puts them there, else on the form version the lead answered.
 */
function hiddenFieldsOf(response: JsonRecord, form: unknown): Record<string, string> {
  const formResponse = isRecord(response.formResponse) ? response.formResponse : {};
  const lists = [formResponse.hiddenFields, response.hiddenFields, isRecord(form) ? form.hiddenFields : undefined];
  const fields: Record<string, string> = {};
  for (const list of lists) {
    for (const field of asRecords(list)) {
      const name = asString(field.name);
      const value = asId(field.value);
      if (name && value !== undefined && !Object.prototype.hasOwnProperty.call(fields, name))
        Object.defineProperty(fields, name, { value, enumerable: true, writable: true, configurable: true });
    }
  }
  return fields;
}

/** A name in a `*Info` decoration (shape not in LinkedIn's examples: read defensively). */
function decoratedName(info: unknown, ...path: string[]): string | undefined {
  let current: unknown = info;
  for (const key of path) current = isRecord(current) ? current[key] : undefined;
  return isRecord(current) ? (localized(current.name) ?? asString(current.localizedName)) : undefined;
}

/** Maps a response to a lead; `action` is the stored notification (ids, and fallbacks for attribution). */
export function leadFromResponse(
  response: JsonRecord,
  form: unknown,
  action: LeadAction & { responseId: string },
): LeadInput {
  const questions = formQuestions(form);
  const answers: Array<{ questionId: string; question?: FormQuestion; value: string }> = [];
  const formResponse = isRecord(response.formResponse) ? response.formResponse : {};
  for (const answer of asRecords(formResponse.answers)) {
    const questionId = asId(answer.questionId);
    if (!questionId) continue;
    const question = questions.get(questionId);
    const value = answerText(answer, question);
    if (value !== undefined) answers.push({ questionId, question, value });
  }

  const present = new Set(answers.map((a) => a.question?.predefinedField));
  const fields: Partial<Record<LeadTextField, string>> = {};
  const customAnswers: Record<string, string> = {};
  for (const { questionId, question, value } of answers) {
    const predefined = question?.predefinedField ?? '';
    const fallback = FALLBACK_FIELDS[predefined];
    const field =
      PREDEFINED_FIELDS[predefined] ?? (fallback && !present.has(fallback.preferred) ? fallback.field : undefined);
    if (field && fields[field] === undefined) fields[field] = value;
    else addAnswer(customAnswers, question?.label ?? `question ${questionId}`, value);
  }

  const submittedAt = epochToIso(response.submittedAt) ?? action.occurredAt;
  const isTest = asBoolean(response.testLead);
  const consents = consentsOf(formResponse, form);
  return {
    platform: 'linkedin',
    // the notification's response id, so that a later DELETED notification names the same lead
    externalId: action.responseId,
    ...fields,
    ...(Object.keys(customAnswers).length > 0 ? { customAnswers } : {}),
    ...(isTest !== undefined ? { isTest } : {}),
    ...(submittedAt ? { submittedAt } : {}),
    ...(consents.length > 0 ? { consents } : {}),
    source: sourceOf(response, form, action),
  };
}

function sourceOf(response: JsonRecord, form: unknown, action: LeadAction): LeadSourceInput {
  const source: LeadSourceInput = {};
  const formUrn = asString(response.versionedLeadGenFormUrn) ?? action.formUrn;
  const formId = leadGenFormId(formUrn);
  if (formId) source.formId = formId;
  const formName = isRecord(form) ? asString(form.name) : undefined;
  if (formName) source.formName = formName;
  const metadata = isRecord(response.leadMetadata) ? response.leadMetadata.sponsoredLeadMetadata : undefined;
  const campaignId = isRecord(metadata) ? urnId(metadata.campaign) : undefined;
  if (campaignId) source.campaignId = campaignId;
  const hidden = hiddenFieldsOf(response, form);
  const campaignName =
    decoratedName(response.leadMetadataInfo, 'sponsoredLeadMetadataInfo', 'campaign') ?? hidden.utm_campaign;
  if (campaignName) source.campaignName = campaignName;
  // the response says associatedCreative, the notification sponsoredCreative
  const adId = creativeOf(response.associatedEntity) ?? creativeOf(action.associatedEntity);
  if (adId) source.adId = adId;
  const leadType = asString(response.leadType) ?? action.leadType;
  if (leadType) source.isOrganic = leadType !== 'SPONSORED';
  const details: Record<string, string> = { ...hidden };
  const owner = isRecord(response.owner) ? response.owner : action.owner;
  const ownerUrn = isRecord(owner) ? (asString(owner.sponsoredAccount) ?? asString(owner.organization)) : undefined;
  if (ownerUrn) details.owner = ownerUrn;
  const ownerName =
    decoratedName(response.ownerInfo, 'sponsoredAccountInfo') ?? decoratedName(response.ownerInfo, 'organizationInfo');
  if (ownerName) details.ownerName = ownerName;
  if (formUrn) details.formVersion = formUrn;
  if (leadType) details.leadType = leadType;
  if (Object.keys(details).length > 0) source.details = details;
  return source;
}

function creativeOf(entity: unknown): string | undefined {
  return isRecord(entity) ? (urnId(entity.associatedCreative) ?? urnId(entity.sponsoredCreative)) : undefined;
}

function answerText(answer: JsonRecord, question: FormQuestion | undefined): string | undefined {
  const details = isRecord(answer.answerDetails) ? answer.answerDetails : undefined;
  if (!details) return undefined;
  if (isRecord(details.textQuestionAnswer)) return asString(details.textQuestionAnswer.answer);
  if (isRecord(details.multipleChoiceAnswer)) {
    const chosen = asArray(details.multipleChoiceAnswer.options)
      .map((option) => asId(option))
      .filter((id): id is string => id !== undefined)
      .map((id) => question?.options.get(id) ?? id);
    return chosen.length > 0 ? chosen.join(', ') : undefined;
  }
  return undefined;
}

/** A MultiLocaleString ({ localized: { en_US: '…' }, preferredLocale }) in its preferred locale, or a plain string. */
function localized(value: unknown): string | undefined {
  if (!isRecord(value) || !isRecord(value.localized)) return asString(value);
  const locale = isRecord(value.preferredLocale)
    ? `${asString(value.preferredLocale.language)}_${asString(value.preferredLocale.country)}`
    : '';
  return (
    asString(value.localized[locale]) ??
    Object.values(value.localized)
      .map((text) => asString(text))
      .find((text) => text !== undefined)
  );
}

/** Never overwrites: a repeated label gets a number; defineProperty keeps "__proto__" an ordinary key. */
function addAnswer(answers: Record<string, string>, label: string, value: string): void {
  let key = label;
  for (let n = 2; Object.prototype.hasOwnProperty.call(answers, key); n++) key = `${label} (${n})`;
  Object.defineProperty(answers, key, { value, enumerable: true, writable: true, configurable: true });
}
