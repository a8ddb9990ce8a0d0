/**
 * The Google Ads lead form webhook body (the WebhookLead proto in fixtures/webhook-lead.proto.txt),
 * narrowed from `unknown`. Google adds fields over time: unknown ones are kept in the stored payload
 * and ignored here.
 */
import { asBoolean, asId, asRecords, asString, isRecord, JsonRecord } from '../shared/json';
import { parseJsonLossless } from '../shared/lossless-json';

/** The int64 fields of WebhookLead; the docs: "Clients need to use 8 bytes integer to process". */
export const INT64_FIELDS: readonly string[] = [
  'form_id',
  'campaign_id',
  'adgroup_id',
  'creative_id',
  'asset_group_id',
];

export interface GoogleLeadColumn {
  /** FULL_NAME, EMAIL … or an advertiser-defined id; "populated for all types of fields". */
  columnId?: string;
  /** Human-readable question; "might not always be populated". */
  columnName?: string;
  value: string;
}

export interface GoogleLead {
  leadId: string;
  columns: GoogleLeadColumn[];
  formId?: string;
  campaignId?: string;
  adGroupId?: string;
  creativeId?: string;
  assetGroupId?: string;
  gclid?: string;
  leadStage?: string;
  submitTime?: string;
  isTest?: boolean;
}

/**
 * The bodies parsed so far, by their bytes: verification (google_key) and extraction read the same
 * delivery, which was parsed twice. Callers only read the parsed body (toStoredPayload copies it).
 */
const parsedBodies = new WeakMap<Buffer, JsonRecord | null>();

/**
 * Parses the raw body. Int64 ids beyond 2^53 come back as strings of their exact digits (see
 * lossless-json.ts); undefined when the body is not a JSON object.
 */
export function parseGoogleBody(rawBody: Buffer): JsonRecord | undefined {
  const known = parsedBodies.get(rawBody);
  if (known !== undefined) return known ?? undefined;
  let body: JsonRecord | null;
  try {
    const parsed = parseJsonLossless(rawBody.toString('utf8'));
    body = isRecord(parsed) ? parsed : null;
  } catch {
    body = null;
  }
  parsedBodies.set(rawBody, body);
  return body ?? undefined;
}

/**
 * The body as it is stored: without google_key (the advertiser's secret must never be persisted)
 * and with every int64 id as a string. fromEntries keeps a "__proto__" key an ordinary property.
 */
export function toStoredPayload(body: JsonRecord): JsonRecord {
  return Object.fromEntries(
    Object.entries(body)
      .filter(([key]) => key !== 'google_key')
      .map(([key, value]) => [key, INT64_FIELDS.includes(key) ? (asId(value) ?? value) : value]),
  );
}

/** The lead in a stored payload, or undefined when it has no lead_id. */
export function narrowGoogleLead(payload: unknown): GoogleLead | undefined {
  if (!isRecord(payload)) return undefined;
  const leadId = asId(payload.lead_id);
  if (!leadId) return undefined;
  const columns: GoogleLeadColumn[] = [];
  for (const column of asRecords(payload.user_column_data)) {
    const value = asString(column.string_value);
    if (value === undefined) continue; // an unanswered optional question
    columns.push({ columnId: asString(column.column_id), columnName: asString(column.column_name), value });
  }
  return {
    leadId,
    columns,
    formId: sourceId(payload.form_id),
    campaignId: sourceId(payload.campaign_id),
    adGroupId: sourceId(payload.adgroup_id),
    creativeId: sourceId(payload.creative_id),
    assetGroupId: sourceId(payload.asset_group_id),
    gclid: asString(payload.gcl_id),
    leadStage: asString(payload.lead_stage),
    submitTime: asString(payload.lead_submit_time),
    isTest: asBoolean(payload.is_test),
  };
}

/** An attribution id; 0 is proto3's "not set" (asset_group_id outside Performance Max), not an id. */
function sourceId(value: unknown): string | undefined {
  const id = asId(value);
  return id === undefined || /^0+$/.test(id) ? undefined : id;
}
