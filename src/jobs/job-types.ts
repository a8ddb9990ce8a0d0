import { emptyPayload, idPayload, InvalidJobPayload, JobCodec, JobDefinitions, uuidPayload } from './job-definition';

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const dateOrNull = (value: unknown): string | null => {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' && DATE_RE.test(value)) return value;
  throw new InvalidJobPayload('from/to must be YYYY-MM-DD or null');
};

/** { subAccountId, from, to } of an analytics rebuild (local dates, null = unbounded). */
const rebuildPayload: JobCodec<{ subAccountId: number; from: string | null; to: string | null }> = {
  encode: (p) => ({ subAccountId: p.subAccountId, from: p.from, to: p.to }),
  decode: (data) => {
    const d = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
    if (typeof d.subAccountId !== 'number' || !Number.isSafeInteger(d.subAccountId))
      throw new InvalidJobPayload('subAccountId must be an integer');
    return { subAccountId: d.subAccountId, from: dateOrNull(d.from), to: dateOrNull(d.to) };
  },
};

const eventIdPayload = idPayload('eventId');

/** { eventId, busy? } of a webhook event's processing; `busy` only on a retry after a busy database. */
const webhookProcessPayload: JobCodec<{ eventId: bigint; busy?: number }> = {
  encode: (p) => (p.busy ? { ...eventIdPayload.encode(p), busy: p.busy } : eventIdPayload.encode(p)),
  decode: (data) => {
    const { eventId } = eventIdPayload.decode(data);
    const busy = typeof data === 'object' && data !== null ? (data as Record<string, unknown>).busy : undefined;
    if (busy === undefined) return { eventId };
    if (typeof busy !== 'number' || !Number.isSafeInteger(busy) || busy < 0 || busy > 1000)
      throw new InvalidJobPayload('busy must be an integer from 0 to 1000');
    return { eventId, busy };
  },
};

/**
 * Every job of the application: its name and the payload its handler receives. To add one: a line
 * here, its definition below (queue options and payload codec), and one `@JobHandler('name')`
 * method; `send('name', payload)` is then type-checked, and boot fails if the handler is missing.
 */
export interface JobPayloads {
  /** `busy`: how many times in a row the event met a busy database (not counted as attempts). */
  'webhook-process': { eventId: bigint; busy?: number };
  'integration-sync': { runId: bigint };
  'sync-scheduler': Record<string, never>;
  'report-generate': { reportId: bigint };
  'report-scheduler': Record<string, never>;
  'report-delivery': { deliveryId: bigint };
  'analytics-rebuild': { subAccountId: number; from: string | null; to: string | null };
  /** Issue 13: the schedule that rewrites the lead scores whose recency points have decayed. */
  'lead-score-decay': Record<string, never>;
  /** Issue 15: refreshes the OAuth tokens due before the next tick, and stops the integrations whose grant ran out. */
  'oauth-refresh-sweep': Record<string, never>;
  /** Issue 13: folds the rollup shards of past days back into one row per counter. */
  'analytics-compact': Record<string, never>;
  /** Deletes the PROCESSED webhook events older than WEBHOOK_EVENT_RETENTION_DAYS (hourly). */
  'webhook-events-prune': Record<string, never>;
  /** Issue 12: one outbound WhatsApp message (our uuid) to send through Meta. */
  'whatsapp-send': { messageId: string };
  /** Issue 12: reconcile one integration's templates with Meta (GET /{waba_id}/message_templates, every page). */
  'whatsapp-templates-sync': { integrationId: bigint };
  /** Issue 12: the schedule that starts a template reconcile for every active WhatsApp integration. */
  'whatsapp-templates-scheduler': Record<string, never>;
  'whatsapp-bulk-run': { bulkId: bigint };
  /** Issue 16: one outbound Messenger / Instagram message (our uuid) to send through the Send API. */
  'messaging-send': { messageId: string };
}

export type JobName = keyof JobPayloads;

export const JOB_DEFINITIONS: JobDefinitions<JobPayloads> = {
  'webhook-process': {
    // the event row counts business attempts (API.md backoff); pg-boss retries only jobs whose worker died
    retryLimit: 20,
    retryDelaySeconds: 5,
    retryBackoff: true,
    // the lease: a worker that died mid-event loses the job after this long, and another picks it up
    expireInSeconds: 120,
    // two pollers, so a batch never waits for the other's slowest event before the next is fetched;
    // 50 each since a group of lead writes is one statement (webhook-event-marks.ts): the groups grow
    // with the events in flight (bench/lead-e2e: 1,116-1,263 deliveries/s against 861-911 with 25)
    batchSize: 50,
    workers: 2,
    codec: webhookProcessPayload,
  },
  'integration-sync': {
    // a run checkpoints its cursor after every page; a job retried after its worker died resumes
    // from the checkpoint (failures inside a run end the run, so only crashes, and a database that went
    // away under it, retry the job: sync-processor.ts)
    retryLimit: 5,
    retryDelaySeconds: 2,
    retryBackoff: false,
    expireInSeconds: 900,
    batchSize: 2,
    // a page slower than the lease (a provider's Retry-After, a busy database) keeps its job
    heartbeat: true,
    codec: idPayload('runId'),
  },
  'sync-scheduler': {
    retryLimit: 0,
    retryDelaySeconds: 0,
    retryBackoff: false,
    expireInSeconds: 120,
    batchSize: 1,
    codec: emptyPayload,
  },
  'report-generate': {
    // a generation rewrites its file from the start; a job retried after its worker died regenerates
    retryLimit: 2,
    retryDelaySeconds: 30,
    retryBackoff: true,
    expireInSeconds: 1800,
    batchSize: 1,
    codec: idPayload('reportId'),
  },
  'report-scheduler': {
    retryLimit: 0,
    retryDelaySeconds: 0,
    retryBackoff: false,
    expireInSeconds: 120,
    batchSize: 1,
    codec: emptyPayload,
  },
  'whatsapp-send': {
    // the message row counts business attempts (throttles, transient errors); pg-boss retries only
    // jobs whose worker died, and a send whose worker died after calling Meta is marked unknown
    retryLimit: 5,
    retryDelaySeconds: 5,
    retryBackoff: true,
    expireInSeconds: 120,
    batchSize: 20,
    codec: uuidPayload('messageId'),
  },
  'whatsapp-templates-sync': {
    retryLimit: 3,
    retryDelaySeconds: 30,
    retryBackoff: true,
    expireInSeconds: 600,
    batchSize: 2,
    codec: idPayload('integrationId'),
  },
  'whatsapp-templates-scheduler': {
    retryLimit: 0,
    retryDelaySeconds: 0,
    retryBackoff: false,
    expireInSeconds: 120,
    batchSize: 1,
    codec: emptyPayload,
  },
  'report-delivery': {
    // transient SMTP failures retry with backoff; the delivery row (unique per schedule and period)
    // and its claim keep a retried job from mailing a period that was already sent
    retryLimit: 8,
    retryDelaySeconds: 60,
    retryBackoff: true,
    expireInSeconds: 1800,
    batchSize: 1,
    codec: idPayload('deliveryId'),
  },
  'analytics-compact': {
    // idempotent (sums are unchanged by a fold); the next tick catches up
    retryLimit: 0,
    retryDelaySeconds: 0,
    retryBackoff: false,
    expireInSeconds: 1800,
    batchSize: 1,
    codec: emptyPayload,
  },
  'webhook-events-prune': {
    // idempotent (what is gone stays gone); the next tick goes on where this one stopped
    retryLimit: 0,
    retryDelaySeconds: 0,
    retryBackoff: false,
    expireInSeconds: 1800,
    batchSize: 1,
    codec: emptyPayload,
  },
  'lead-score-decay': {
    // idempotent (each lead's score is recomputed from its stored parts as of now); the next tick catches up
    retryLimit: 0,
    retryDelaySeconds: 0,
    retryBackoff: false,
    expireInSeconds: 600,
    batchSize: 1,
    codec: emptyPayload,
  },
  'oauth-refresh-sweep': {
    // each refresh is compare-and-set under the integration's refresh lock; the next tick catches up
    retryLimit: 0,
    retryDelaySeconds: 0,
    retryBackoff: false,
    expireInSeconds: 600,
    batchSize: 1,
    codec: emptyPayload,
  },
  'analytics-rebuild': {
    // idempotent (delete + insert of the days in one transaction): a retry after a crash is harmless
    retryLimit: 3,
    retryDelaySeconds: 5,
    retryBackoff: true,
    expireInSeconds: 900,
    batchSize: 1,
    codec: rebuildPayload,
  },
  'messaging-send': {
    // as whatsapp-send: the message row counts business attempts; pg-boss retries only jobs whose
    // worker died, and a send whose worker died after calling Meta is marked unknown, never resent
    retryLimit: 5,
    retryDelaySeconds: 5,
    retryBackoff: true,
    expireInSeconds: 120,
    batchSize: 20,
    codec: uuidPayload('messageId'),
  },
  'whatsapp-bulk-run': {
    // one slice of a bulk's lane; the ledger's leases (not this job) guard against double sends, so
    // a job retried after an expiry or a crash only finds its lane busy or continues the work
    retryLimit: 1000,
    retryDelaySeconds: 1,
    retryBackoff: false,
    expireInSeconds: 120,
    batchSize: 1,
    codec: idPayload('bulkId'),
  },
};
