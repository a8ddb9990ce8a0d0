// Shared fixtures of the jobs.service*.medium.spec.ts parts (src/jobs, medium tier): test job types, their
// codec, handlers that record what they ran, and a boot of the jobs module on a part's database. (Here rather
// than beside the specs: the build compiles every non-spec file of src/.)
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ConfigModule } from '../../src/config/config.module';
import { DatabaseModule } from '../../src/database/database.module';
import { InvalidJobPayload, JobCodec, JobDefinition, JobDefinitions, JobHandler } from '../../src/jobs/job-definition';
import { JobsModule } from '../../src/jobs/jobs.module';
import { createTestDatabase, TestDatabase } from './database';
import { testConfig } from './test-app';

export interface TestJobs {
  'test-echo': { n: string };
  'test-other': { n: string };
  'test-backlog': { n: string };
}

export const textPayload: JobCodec<{ n: string }> = {
  encode: (payload) => payload,
  decode: (data) => {
    const n = typeof data === 'object' && data !== null ? (data as Record<string, unknown>).n : undefined;
    if (typeof n !== 'string') throw new InvalidJobPayload('expected { n: string }');
    return { n };
  },
};
export const ECHO: JobDefinition<{ n: string }> = {
  retryLimit: 0,
  retryDelaySeconds: 1,
  retryBackoff: false,
  expireInSeconds: 30,
  batchSize: 10,
  codec: textPayload,
};

export const seen: unknown[] = [];

@Injectable()
export class EchoHandler {
  @JobHandler<'test-echo', TestJobs>('test-echo')
  async handle(payload: { n: string }): Promise<void> {
    seen.push(payload);
  }
}

// a job that takes longer than the flat 2 s the shutdown used to give a batch fetched late (a queue
// of its own: no job or poller left by the other tests can take it)
export const slowDone: string[] = [];
@Injectable()
export class SlowHandler {
  @JobHandler<'test-other', TestJobs>('test-other')
  async handle(payload: { n: string }): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 3500));
    slowDone.push(payload.n);
  }
}

/** `boot(definitions, handlers, env)`: the jobs module with these handlers, on the database `database()` gives. */
export function jobsBooter(database: () => TestDatabase) {
  return async function boot(
    definitions: Partial<JobDefinitions<TestJobs>>,
    handlers: Array<new (...args: never[]) => unknown>,
    env: Record<string, string> = {},
  ) {
    const module = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot(testConfig(database().url, env)),
        DatabaseModule,
        JobsModule.forRoot(definitions as JobDefinitions<TestJobs>),
      ],
      providers: handlers,
    }).compile();
    return module.init();
  };
}

/**
 * The spec file's own database, made before its tests and dropped after them, with `seen` cleared before
 * each test. Call it once at the top of a spec file; what it returns gives the database inside the tests.
 */
export function useJobsDatabase(): () => TestDatabase {
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });
  beforeEach(() => {
    seen.length = 0;
  });
  return () => {
    if (!db) throw new Error('the jobs test database is made in beforeAll');
    return db;
  };
}
