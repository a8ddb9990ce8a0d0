import { JobDefinition } from './job-definition';

export const JOB_WEBHOOK_PROCESS = 'webhook-process';
export const JOB_INTEGRATION_SYNC = 'integration-sync';
export const JOB_SYNC_SCHEDULER = 'sync-scheduler';

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
  {
    name: JOB_INTEGRATION_SYNC,
    // a run checkpoints its cursor after every page; a job retried after its worker died resumes
    // from the checkpoint (failures inside a run end the run, so only crashes retry the job)
    retryLimit: 5,
    retryDelaySeconds: 2,
    retryBackoff: false,
    expireInSeconds: 900,
    batchSize: 2,
  },
  {
    name: JOB_SYNC_SCHEDULER,
    retryLimit: 0,
    retryDelaySeconds: 0,
    retryBackoff: false,
    expireInSeconds: 120,
    batchSize: 1,
  },
];
