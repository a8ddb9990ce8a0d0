import { createHash } from 'node:crypto';
import type { ExtractedEvent } from '../../handlers/integration-handler';
import type { NewEvent } from './webhook-events.repository';

/**
 * A verified delivery holding more events than this (a WhatsApp delivery with thousands of statuses)
 * is stored as one event of type DELIVERY_BATCH_EVENT and answered at once; a worker then adds its
 * events in bounded batches (each with its own dedup key and job), so neither the answer nor one
 * statement grows with the delivery.
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

interface BatchItem {
  externalId: string | null;
  eventType: string;
  payload: unknown;
}

export function batchPayload(events: readonly ExtractedEvent[]): { events: BatchItem[] } {
  return { events: events.map((e) => ({ externalId: e.externalId, eventType: e.eventType, payload: e.payload })) };
}

/** The events of a stored batch, as rows to insert; items that are not events (a tampered row) are skipped. */
export function batchEvents(batch: {
  id: bigint;
  integrationId: number;
  subAccountId: number;
  provider: string;
  payload: unknown;
}): NewEvent[] {
  const payload = batch.payload;
  const items =
    typeof payload === 'object' && payload !== null && Array.isArray((payload as { events?: unknown }).events)
      ? (payload as { events: unknown[] }).events
      : [];
  const out: NewEvent[] = [];
  items.forEach((item, index) => {
    if (typeof item !== 'object' || item === null) return;
    const { externalId, eventType, payload: itemPayload } = item as Record<string, unknown>;
    if (typeof eventType !== 'string' || (externalId !== null && typeof externalId !== 'string')) return;
    out.push({
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
