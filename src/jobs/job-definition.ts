import { SetMetadata } from '@nestjs/common';

/** A job type the queue knows; each must have exactly one @JobHandler at boot. */
export interface JobDefinition {
  name: string;
  /** Attempts after the first one. */
  retryLimit: number;
  retryDelaySeconds: number;
  retryBackoff: boolean;
  /** The lease: a job still active after this long (its worker died) is retried. */
  expireInSeconds: number;
  /** Jobs fetched per poll, processed concurrently. */
  batchSize: number;
}

export const JOB_HANDLER = 'jobs:handler';

/** Marks a provider method as the handler of a job type: `(data: unknown, job: JobContext) => Promise<void>`. */
export const JobHandler = (name: string): MethodDecorator => SetMetadata(JOB_HANDLER, name);

export interface JobContext {
  id: string;
  name: string;
}

export type JobHandlerFn = (data: unknown, job: JobContext) => Promise<void>;
