import { JobDefinition } from './job-definition';

/** Every job type of the application. Boot fails if one has no handler, or two. */
export const JOB_DEFINITIONS: readonly JobDefinition[] = [];
