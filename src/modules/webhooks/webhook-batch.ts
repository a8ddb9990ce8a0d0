import { createHash } from 'node:crypto';
import type { ExtractedEvent } from '../../handlers/integration-handler';
import type { NewEvent } from './webhook-events.repository';

/**
 * A verified delivery holding more events than this (a WhatsApp delivery with thousands of statuses)
 * is stored as one event of type DELIVERY_BATCH_EVENT and answered at once; a worker then adds its
 * events in bounded batches (each with its own dedup key and job), so no statement grows with the
 * delivery. The answer still names every event (`eventIds`, API.md): the ingest takes the events' ids
 * from the sequence before it stores the batch, and the expansion inserts each event under its id.
 */
export const MAX_INLINE_EVENTS = 100;
export const DELIVERY_BATCH_EVENT = 'delivery.batch';
/** Events written per statement when a batch is expanded. */
export const EXPAND_CHUNK = 500;

/** Provider event ids are short (a wamid is ~60 characters); longer ones are deduplicated by their hash. */
const MAX_KEYED_ID = 512;

/**
 * The dedup key of an event with a provider id: the id itself, or for an id longer than any
 * provider's (a composed id holding a sender's long value) its sha256, which the unique index can
 * hold. Such an id refused the whole signed delivery with 400, losing the other events in it.
 */
export function idDedupKey(externalId: string): string {
  return externalId.length <= MAX_KEYED_ID
    ? `id:${externalId}`
    : `idh:${createHash('sha256').update(externalId).digest('hex')}`;
}

export interface BatchItem {
  /** The event's id, taken at ingest (the acknowledgement names it); an event already stored keeps its own. */
  id: string;
  externalId: string | null;
  eventType: string;
  payload: unknown;
}

export function batchPayload(events: readonly ExtractedEvent[], ids: readonly string[]): { events: BatchItem[] } {
  return {
    events: events.map((e, i) => ({
      id: ids[i],
      externalId: e.externalId,
      eventType: e.eventType,
      payload: e.payload,
    })),
  };
}

const EVENT_ID = /^[1-9]\d{0,18}$/;

/**
 * The ids that unexpanded batches named for provider ids (rows of `unexpandedIds`, oldest batch first),
 * by dedup key: the oldest batch's id wins; an item id that is not an event id is ignored.
 */
export function namedIdsByKey(rows: ReadonlyArray<{ externalId: string; id: string | null }>): Map<string, string> {
  const ids = new Map<string, string>();
  for (const { externalId, id } of rows) {
    const key = idDedupKey(externalId);
    if (id !== null && EVENT_ID.test(id) && !ids.has(key)) ids.set(key, id);
  }
  return ids;
}

/** A stored batch's items, unchecked (the row is ours, but read it as if it might not be). */
function batchItems(payload: unknown): unknown[] {
  return typeof payload === 'object' && payload !== null && Array.isArray((payload as { events?: unknown }).events)
    ? (payload as { events: unknown[] }).events
    : [];
}

/** The ids a stored batch's acknowledgement named, in the delivery's order; null for a batch stored without them. */
export function batchEventIds(payload: unknown): string[] | null {
  const ids = batchItems(payload).map((item) =>
    typeof item === 'object' && item !== null ? (item as { id?: unknown }).id : undefined,
  );
  return ids.length > 0 && ids.every((id): id is string => typeof id === 'string' && EVENT_ID.test(id)) ? ids : null;
}

/** The ids a stored batch named for its events with a provider id, by dedup key. */
export function batchIdsByKey(payload: unknown): Map<string, string> {
  const ids = new Map<string, string>();
  for (const item of batchItems(payload)) {
    if (typeof item !== 'object' || item === null) continue;
    const { id, externalId } = item as Record<string, unknown>;
    if (typeof externalId === 'string' && typeof id === 'string' && EVENT_ID.test(id))
      ids.set(idDedupKey(externalId), id);
  }
  return ids;
}

/** The events of a stored batch, as rows to insert; items that are not events (a tampered row) are skipped. */
export function batchEvents(batch: {
  id: bigint;
  integrationId: number;
  subAccountId: number;
  provider: string;
  payload: unknown;
}): NewEvent[] {
  const out: NewEvent[] = [];
  batchItems(batch.payload).forEach((item, index) => {
    if (typeof item !== 'object' || item === null) return;
    const { id, externalId, eventType, payload: itemPayload } = item as Record<string, unknown>;
    if (typeof eventType !== 'string' || (externalId !== null && typeof externalId !== 'string')) return;
    out.push({
      // a batch stored before events had ids taken at ingest: the sequence gives them at expansion
      ...(typeof id === 'string' && EVENT_ID.test(id) ? { id } : {}),
      integrationId: batch.integrationId,
      subAccountId: batch.subAccountId,
      provider: batch.provider,
      // an item without a provider id is unique within its (deduplicated) batch
      dedupKey: externalId !== null ? idDedupKey(externalId) : `batch:${batch.id.toString()}:${index}`,
      externalId,
      eventType,
      payload: itemPayload,
    });
  });
  return out;
}
