import { JobDefinition } from './job-definition';

export const JOB_WEBHOOK_PROCESS = 'webhook-process';

/** Every job type of the application. Boot fails if one has no handler, or two. */
export const JOB_DEFINITIONS: readonly JobDefinition[] = [
  {
    name: JOB_WEBHOOK_PROCESS,
    // the event row counts business attempts (API.md backoff); pg-boss retries only jobs whose worker died
    retryLimit: 20,
    retryDelaySeconds: 5,
    retryBackoff: true,
    // the lease: a worker that died mid-event loses the job after this long, and another picks it up
    expireInSeconds: 120,
    batchSize: 50,
  },
];
