/**
 * Reconciliation for LinkedIn Lead Sync, as Meta's: notifications can be missed, so each run pulls
 * the owner's form responses submitted since the previous run ("Schedule periodic form response
 * pulls", Postman request 8: q=owner, leadType, submittedAtTimeRange, start/count). A response
 * already seen is counted unchanged by the pipeline (same content hash).
 */
import { OutboundError } from '../../common/outbound/http-client';
import type { LeadInput, SyncPage } from '../handler-types';
import type { HandlerContext } from '../integration-handler';
import { asNumber, asString, isRecord, JsonRecord } from '../shared/json';
import { LEAD_TYPES, LinkedInApi, LinkedInOwnerType, OWNER_TYPES } from './linkedin-api';
import { embeddedForm, leadFromResponse } from './linkedin-lead-gen.lead';
import { epochToIso, leadGenFormId } from './linkedin-lead-gen.payload';

const DAY_MS = 24 * 3600_000;
/** The first run looks back a week, like Meta's reconciliation (LinkedIn keeps responses 365 days). */
const FIRST_RUN_LOOKBACK_MS = 7 * DAY_MS;
/** Later runs start this long before the previous run's end: responses are indexed with a delay. */
const OVERLAP_MS = 3600_000;
/** Responses per page; LinkedIn's example uses 10, and its finders page with start/count. */
export const LINKEDIN_SYNC_PAGE_SIZE = 100;

interface RunCursor {
  ownerType: LinkedInOwnerType;
  leadTypeIndex: number;
  startMs: number;
  endMs: number;
  start: number;
}

function parseJson(cursor: string): JsonRecord {
  let value: unknown;
  try {
    value = JSON.parse(cursor);
  } catch {
    value = undefined;
  }
  if (!isRecord(value)) throw new Error('linkedin-lead-gen: unreadable sync cursor');
  return value;
}

/** A cursor inside a run, or undefined for `{ since }` (where the previous run ended). */
function parseRunCursor(value: JsonRecord): RunCursor | undefined {
  const ownerType = OWNER_TYPES.find((t) => t === value.ownerType);
  const numbers = [value.leadTypeIndex, value.startMs, value.endMs, value.start].map(asNumber);
  if (!ownerType) return undefined;
  const [leadTypeIndex, startMs, endMs, start] = numbers;
  if (leadTypeIndex === undefined || startMs === undefined || endMs === undefined || start === undefined)
    throw new Error('linkedin-lead-gen: unreadable sync cursor');
  return { ownerType, leadTypeIndex, startMs, endMs, start };
}

async function startRun(ctx: HandlerContext, api: LinkedInApi, since: number | undefined): Promise<RunCursor> {
  const now = ctx.now().getTime();
  const ownerType = api.configuredOwnerType ?? (await api.probeLeadAccess()).ownerType;
  const startMs = since === undefined ? now - FIRST_RUN_LOOKBACK_MS : Math.min(since, now) - OVERLAP_MS;
  return { ownerType, leadTypeIndex: 0, startMs, endMs: now, start: 0 };
}

/** The forms the page's responses answered and that were not embedded, fetched once each. */
async function formsFor(ctx: HandlerContext, api: LinkedInApi, elements: JsonRecord[]): Promise<Map<string, unknown>> {
  const forms = new Map<string, unknown>();
  for (const element of elements) {
    const formId = leadGenFormId(asString(element.versionedLeadGenFormUrn));
    if (!formId || forms.has(formId) || embeddedForm(element)) continue;
    try {
      forms.set(formId, (await api.leadForm(formId)).body);
    } catch (err) {
      if (!(err instanceof OutboundError) || err.transient) throw err;
      ctx.logger.warn({ formId, status: err.status }, 'LinkedIn lead form unavailable; answers kept by question id');
      forms.set(formId, undefined);
    }
  }
  return forms;
}

function leadOf(element: JsonRecord, forms: Map<string, unknown>): LeadInput | undefined {
  const responseId = asString(element.id);
  if (!responseId) return undefined;
  const formUrn = asString(element.versionedLeadGenFormUrn);
  const form = embeddedForm(element) ?? forms.get(leadGenFormId(formUrn) ?? '');
  return leadFromResponse(element, form, {
    responseId,
    formUrn,
    leadType: asString(element.leadType),
    occurredAt: epochToIso(element.submittedAt),
    owner: isRecord(element.owner) ? element.owner : undefined,
    associatedEntity: isRecord(element.associatedEntity) ? element.associatedEntity : undefined,
  });
}

/** One page of one lead type; the next page, the next lead type, or the end of the run (and where the next run starts). */
export async function syncLinkedInLeads(ctx: HandlerContext, cursor: string | null): Promise<SyncPage> {
  const api = LinkedInApi.fromContext(ctx);
  const saved = cursor === null ? undefined : parseJson(cursor);
  const state =
    (saved && parseRunCursor(saved)) ?? (await startRun(ctx, api, saved ? asNumber(saved.since) : undefined));
  const leadTypes = LEAD_TYPES[state.ownerType];
  const leadType = leadTypes[state.leadTypeIndex];
  if (leadType === undefined)
    return { leads: [], fetched: 0, nextCursor: null, nextRunCursor: JSON.stringify({ since: state.endMs }) };

  const page = await api.leadFormResponses({ ...state, leadType, count: LINKEDIN_SYNC_PAGE_SIZE });
  const forms = await formsFor(ctx, api, page.elements);
  const leads = page.elements.map((element) => leadOf(element, forms)).filter((lead) => lead !== undefined);
  if (leads.length < page.elements.length)
    ctx.logger.warn({ skipped: page.elements.length - leads.length }, 'LinkedIn responses without an id skipped');

  const more =
    page.elements.length === LINKEDIN_SYNC_PAGE_SIZE &&
    (page.total === undefined || state.start + LINKEDIN_SYNC_PAGE_SIZE < page.total);
  const next: RunCursor | null = more
    ? { ...state, start: state.start + LINKEDIN_SYNC_PAGE_SIZE }
    : state.leadTypeIndex + 1 < leadTypes.length
      ? { ...state, leadTypeIndex: state.leadTypeIndex + 1, start: 0 }
      : null;
  return {
    leads,
    fetched: page.elements.length,
    nextCursor: next ? JSON.stringify(next) : null,
    ...(next ? {} : { nextRunCursor: JSON.stringify({ since: state.endMs }) }),
  };
}
