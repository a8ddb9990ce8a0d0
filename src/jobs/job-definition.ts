import { SetMetadata } from '@nestjs/common';
import type { JobPayloads } from './job-types';

/** A payload that cannot be what its job type carries; the job is dropped (it would never succeed). */
export class InvalidJobPayload extends Error {}

/**
 * How a job type's payload crosses the queue: `encode` to the JSON pg-boss stores, `decode` once at
 * the boundary (the worker), so a handler only ever sees a valid, typed payload.
 */
export interface JobCodec<P> {
  encode(payload: P): object;
  decode(data: unknown): P;
}

/** A job type the queue knows; each must have exactly one @JobHandler at boot. */
export interface JobDefinition<P = unknown> {
  /** Attempts after the first one. */
  retryLimit: number;
  retryDelaySeconds: number;
  retryBackoff: boolean;
  /** The lease: a job still active after this long (its worker died) is retried. */
  expireInSeconds: number;
  /** Jobs fetched per poll, processed concurrently. */
  batchSize: number;
  /**
   * Pollers of this queue in one worker process (1 unless said): each fetches its own batch when its
   * last one is done, so the next batch starts while the slowest event of another is still running.
   */
  workers?: number;
  /**
   * Renew the lease while the handler runs (every third of it): a job of this type may run longer
   * than its lease without pg-boss handing it to a second runner; a worker that died stops renewing,
   * so its job is still retried one lease after its last heartbeat.
   */
  heartbeat?: boolean;
  codec: JobCodec<P>;
}

/** Every job type of a queue: name → definition, typed by the payload map M. */
export type JobDefinitions<M> = { readonly [K in keyof M & string]: JobDefinition<M[K]> };

export interface JobContext {
  id: string;
  name: string;
}

export type JobHandlerFn = (payload: unknown, job: JobContext) => Promise<void>;

export const JOB_HANDLER = 'jobs:handler';

/**
 * Marks a provider method as the handler of a job type. The method's parameter is checked against
 * the payload map (JobPayloads by default): `@JobHandler('webhook-process') process(p: { eventId: bigint })`.
 */
export function JobHandler<K extends keyof M & string, M = JobPayloads>(name: K) {
  return <T extends (payload: M[K], job: JobContext) => Promise<void>>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<T>,
  ): void => {
    SetMetadata(JOB_HANDLER, name)(target, key, descriptor);
  };
}

// Codecs for the payload shapes in use

const BIGINT_ID = /^[1-9]\d{0,18}$/;
const INT8_MAX = 9_223_372_036_854_775_807n;

/** `{ [field]: bigint }`, stored as a decimal string (JSON has no 64-bit integers). */
export function idPayload<F extends string>(field: F): JobCodec<Record<F, bigint>> {
  return {
    encode: (payload) => ({ [field]: payload[field].toString() }),
    decode: (data) => {
      const raw = typeof data === 'object' && data !== null ? (data as Record<string, unknown>)[field] : undefined;
      if (typeof raw !== 'string' || !BIGINT_ID.test(raw) || BigInt(raw) > INT8_MAX) {
        throw new InvalidJobPayload(`expected { ${field}: "<id>" }`);
      }
      return { [field]: BigInt(raw) } as Record<F, bigint>;
    },
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `{ [field]: string }` holding a lower-case uuid (WhatsApp message ids). */
export function uuidPayload<F extends string>(field: F): JobCodec<Record<F, string>> {
  return {
    encode: (payload) => ({ [field]: payload[field] }),
    decode: (data) => {
      const raw = typeof data === 'object' && data !== null ? (data as Record<string, unknown>)[field] : undefined;
      if (typeof raw !== 'string' || !UUID.test(raw)) throw new InvalidJobPayload(`expected { ${field}: "<uuid>" }`);
      return { [field]: raw } as Record<F, string>;
    },
  };
}

/** A job that carries nothing (a cron tick). */
export const emptyPayload: JobCodec<Record<string, never>> = {
  encode: () => ({}),
  decode: () => ({}),
};
