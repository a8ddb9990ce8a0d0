/**
 * LinkedIn Lead Sync notification payloads (fixtures/lead-notification.*.json, shape UNCONFIRMED in
 * the shared NOTES), narrowed from `unknown`. LinkedIn ids travel as URN strings; a raw number is
 * accepted as well.
 */
import { asId, asNumber, asString, isRecord, JsonRecord } from '../shared/json';

/** urn:li:organization:123 → '123'; a raw id (123 or '123') is returned as a string. */
export function urnId(value: unknown): string | undefined {
  const text = asId(value);
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return text;
  return /^urn:li:[A-Za-z]+:(\d+)$/.exec(text)?.[1];
}

/** The last segment of a URN: urn:li:leadGenFormResponse:1a2b3c-4 → '1a2b3c-4'. */
export function urnTail(urn: string): string {
  return urn.slice(urn.lastIndexOf(':') + 1);
}

/** The form id inside urn:li:versionedLeadGenForm:(urn:li:leadGenForm:7234246,1). */
export function leadGenFormId(urn: string | undefined): string | undefined {
  return urn ? /urn:li:leadGenForm:(\d+)/.exec(urn)?.[1] : undefined;
}

/** Routing keys: the id digits of the notification's owner (organization and/or sponsored ad account). */
export function ownerIds(payload: unknown): string[] {
  if (!isRecord(payload) || !isRecord(payload.owner)) return [];
  const ids = [urnId(payload.owner.organization), urnId(payload.owner.sponsoredAccount)];
  return ids.filter((id): id is string => id !== undefined);
}

/**
 * occurredAt is epoch milliseconds in every example, but third-party code disagrees (NOTES §4):
 * values below 10^11 (before 1973 in ms) are read as seconds.
 */
export function epochToIso(value: unknown): string | undefined {
  const n = asNumber(value);
  if (n === undefined || n <= 0) return undefined;
  const date = new Date(n < 1e11 ? n * 1000 : n);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** What is stored for one lead notification (and read back by processWebhook). */
export interface LeadAction {
  responseUrn?: string;
  /** The lead form response id: the URN's last segment, the id GET /rest/leadFormResponses takes. */
  responseId?: string;
  formUrn?: string;
  leadAction?: string;
  leadType?: string;
  occurredAt?: string;
  owner?: JsonRecord;
  associatedEntity?: JsonRecord;
}

export function narrowNotification(payload: unknown): LeadAction | undefined {
  if (!isRecord(payload)) return undefined;
  const responseUrn = asString(payload.leadGenFormResponse);
  return {
    responseUrn,
    responseId: responseUrn ? urnTail(responseUrn) : undefined,
    formUrn: asString(payload.leadGenForm),
    leadAction: asString(payload.leadAction)?.toUpperCase(),
    leadType: asString(payload.leadType),
    occurredAt: epochToIso(payload.occurredAt),
    owner: isRecord(payload.owner) ? payload.owner : undefined,
    associatedEntity: isRecord(payload.associatedEntity) ? payload.associatedEntity : undefined,
  };
}

/** A stored event payload read back; undefined without a response id (nothing to fetch or delete). */
export function narrowStoredLeadAction(payload: unknown): (LeadAction & { responseId: string }) | undefined {
  if (!isRecord(payload)) return undefined;
  const responseId = asString(payload.responseId);
  if (!responseId) return undefined;
  return {
    responseId,
    responseUrn: asString(payload.responseUrn),
    formUrn: asString(payload.formUrn),
    leadAction: asString(payload.leadAction),
    leadType: asString(payload.leadType),
    occurredAt: asString(payload.occurredAt),
    owner: isRecord(payload.owner) ? payload.owner : undefined,
    associatedEntity: isRecord(payload.associatedEntity) ? payload.associatedEntity : undefined,
  };
}
