// Parameter values of the lead writes' statements (a provider's optional fields and times).
import { LEAD_TEXT_FIELDS, type LeadInput, type LeadSourceInput } from '../../handlers/handler-types';
import { LAST_INSTANT_MS } from '../../handlers/shared/instant';

export const nul = <T>(value: T | undefined): T | null => (value === undefined ? null : value);

/** The instants a timestamptz parameter takes as ISO text: years 0001–9999 (PostgreSQL refuses year 0 and ±YYYYYY). */
const FIRST_MS = Date.parse('0001-01-01T00:00:00.000Z');

/**
 * A provider's time, or null when it is missing, not a time, or outside years 1–9999. Every time a
 * sender controls goes through here: a bad one is left out (the statement's default applies), it
 * never fails the write (a RangeError, or PostgreSQL's 22007/22008, used to fail the whole event).
 */
export const instantOrNull = (value: string | undefined): string | null => {
  const ms = value === undefined ? Number.NaN : Date.parse(value);
  return Number.isNaN(ms) || ms < FIRST_MS || ms > LAST_INSTANT_MS ? null : new Date(ms).toISOString();
};

// ---- A provider's text as the lead write can store it ----------------------------------------

/** Unpaired UTF-16 surrogates: PostgreSQL's jsonb refuses their `\ud800` escapes (22P02/22P05). */
const LONE_SURROGATES = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The longest texts a lead keeps from a provider; anything longer is cut there. A provider's answer
 * (a Graph lead, a LinkedIn form response, a mapped webhook value) is otherwise stored as it came:
 * one 1 MB "company" or ten thousand answers would be kept on the lead and sent with every read of it.
 */
export const LEAD_TEXT_LIMITS = {
  /** Ids, attribution texts and the lead's own text fields (names, e-mail and phone are cut shorter by normalizeContact). */
  text: 500,
  /** A custom answer's key (the question) and its value (the answer). */
  answerKey: 200,
  answerValue: 5_000,
  /** Custom answers, tags and consents kept from one touch; the rest are left out. */
  answers: 200,
  tags: 100,
  tag: 100,
  consents: 100,
  /** An attribution detail's value (UTM values, a consent's label). */
  detail: 1_000,
} as const;

/**
 * Text PostgreSQL stores: without NUL characters (text and jsonb refuse them: 22021, 22P05), with
 * unpaired surrogates replaced by U+FFFD (as a UTF-8 encoder does), trimmed and cut at `max` code
 * units (never between the two halves of a pair). Undefined when nothing is left.
 */
export function storableText(value: string | undefined, max: number): string | undefined {
  if (value === undefined) return undefined;
  let text = value.replaceAll('\u0000', '').replace(LONE_SURROGATES, '\ufffd').trim();
  if (text.length > max) {
    const cut = /[\ud800-\udbff]/.test(text.charAt(max - 1)) ? max - 1 : max;
    text = text.slice(0, cut).trim();
  }
  return text === '' ? undefined : text;
}

/** Tags as a lead keeps them, from a provider or a person: trimmed, blank ones dropped, each once, at most 100. */
export function storableTags(tags: readonly string[]): string[] {
  const kept = tags.map((tag) => storableText(tag, LEAD_TEXT_LIMITS.tag)).filter((t): t is string => !!t);
  return [...new Set(kept)].slice(0, LEAD_TEXT_LIMITS.tags);
}

/** A record of texts with storable keys and values, at most `limit` entries ("__proto__" stays an ordinary key). */
function storableRecord(
  record: Readonly<Record<string, string>>,
  limit: number,
  keyMax: number,
  valueMax: number,
): Record<string, string> {
  const out: Record<string, string> = {};
  let count = 0;
  for (const [rawKey, rawValue] of Object.entries(record)) {
    if (count >= limit) break;
    const key = storableText(rawKey, keyMax);
    const value = typeof rawValue === 'string' ? storableText(rawValue, valueMax) : undefined;
    if (key === undefined || value === undefined || Object.prototype.hasOwnProperty.call(out, key)) continue;
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    count++;
  }
  return out;
}

const SOURCE_TEXT_FIELDS = [
  'campaignId',
  'campaignName',
  'adGroupId',
  'adGroupName',
  'adId',
  'adName',
  'formId',
  'formName',
  'creativeId',
  'assetGroupId',
  'gclid',
  'leadStage',
  'currency',
] as const;

/**
 * A handler's lead as the write stores it: every text it carries made storable (storableText) and
 * held to LEAD_TEXT_LIMITS. A bad or oversized field is cleaned or cut; the rest of the lead is
 * stored as before (one NUL in an answer used to fail the whole event, retried to its last attempt).
 */
export function storableLead(lead: LeadInput): LeadInput {
  const { text } = LEAD_TEXT_LIMITS;
  const out: LeadInput = { ...lead, externalId: storableText(lead.externalId, text) ?? lead.externalId };
  for (const field of LEAD_TEXT_FIELDS) {
    const value = storableText(lead[field], text);
    if (value === undefined) delete out[field];
    else out[field] = value;
  }
  if (lead.tags) out.tags = storableTags(lead.tags);
  if (lead.customAnswers) {
    const { answers, answerKey, answerValue } = LEAD_TEXT_LIMITS;
    out.customAnswers = storableRecord(lead.customAnswers, answers, answerKey, answerValue);
  }
  if (lead.otherExternalIds) {
    out.otherExternalIds = lead.otherExternalIds
      .map((id) => storableText(id, text))
      .filter((id): id is string => id !== undefined);
  }
  if (lead.consents) {
    out.consents = lead.consents.flatMap((consent) => {
      const key = storableText(consent.key, text);
      if (key === undefined) return [];
      const label = storableText(consent.label, LEAD_TEXT_LIMITS.detail);
      return [{ key, accepted: consent.accepted, ...(label ? { label } : {}) }];
    });
    out.consents = out.consents.slice(0, LEAD_TEXT_LIMITS.consents);
  }
  const source: LeadSourceInput = { ...lead.source };
  for (const field of SOURCE_TEXT_FIELDS) {
    const value = storableText(lead.source[field], text);
    if (value === undefined) delete source[field];
    else source[field] = value;
  }
  if (lead.source.details)
    source.details = storableRecord(lead.source.details, LEAD_TEXT_LIMITS.answers, text, LEAD_TEXT_LIMITS.detail);
  out.source = source;
  return out;
}
