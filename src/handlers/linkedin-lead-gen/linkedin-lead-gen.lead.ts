/**
 * A lead form response (GET /rest/leadFormResponses/{id}, fixtures/lead-form-response.*.json) as
 * the hub's lead. Answers carry only a questionId: what a question asks, and which predefined field
 * (EMAIL, FIRST_NAME …) it is, lives on the form (content.questions[]).
 */
import type { LeadInput, LeadSourceInput } from '../handler-types';
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

/** A form embedded in the response by Rest.li decoration (versionedLeadGenFormUrn~), when asked for. */
export function embeddedForm(response: JsonRecord): JsonRecord | undefined {
  const form = response['versionedLeadGenFormUrn~'];
  return isRecord(form) && isRecord(form.content) ? form : undefined;
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
  return {
    platform: 'linkedin',
    // the notification's response id, so that a later DELETED notification names the same lead
    externalId: action.responseId,
    ...fields,
    ...(Object.keys(customAnswers).length > 0 ? { customAnswers } : {}),
    ...(isTest !== undefined ? { isTest } : {}),
    ...(submittedAt ? { submittedAt } : {}),
    source: sourceOf(response, form, action),
  };
}

function sourceOf(response: JsonRecord, form: unknown, action: LeadAction): LeadSourceInput {
  const source: LeadSourceInput = {};
  const formId = leadGenFormId(asString(response.versionedLeadGenFormUrn) ?? action.formUrn);
  if (formId) source.formId = formId;
  const formName = isRecord(form) ? asString(form.name) : undefined;
  if (formName) source.formName = formName;
  const metadata = isRecord(response.leadMetadata) ? response.leadMetadata.sponsoredLeadMetadata : undefined;
  const campaignId = isRecord(metadata) ? urnId(metadata.campaign) : undefined;
  if (campaignId) source.campaignId = campaignId;
  // the response says associatedCreative, the notification sponsoredCreative
  const adId = creativeOf(response.associatedEntity) ?? creativeOf(action.associatedEntity);
  if (adId) source.adId = adId;
  const leadType = asString(response.leadType) ?? action.leadType;
  if (leadType) source.isOrganic = leadType !== 'SPONSORED';
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
