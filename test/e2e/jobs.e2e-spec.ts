import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ConfigModule } from '../../src/config/config.module';
import { DatabaseModule } from '../../src/database/database.module';
import { PrismaService } from '../../src/database/prisma.service';
import { JobDefinition, JobHandler } from '../../src/jobs/job-definition';
import { JobsModule } from '../../src/jobs/jobs.module';
import { JobsService } from '../../src/jobs/jobs.service';
import { createTestDatabase, TestDatabase } from '../support/database';
import { testConfig } from '../support/test-app';

const ECHO: JobDefinition = {
  name: 'test-echo',
  retryLimit: 0,
  retryDelaySeconds: 1,
  retryBackoff: false,
  expireInSeconds: 30,
  batchSize: 10,
};
const OTHER: JobDefinition = { ...ECHO, name: 'test-other' };

const seen: unknown[] = [];

@Injectable()
class EchoHandler {
  @JobHandler('test-echo')
  async handle(data: unknown): Promise<void> {
    seen.push(data);
  }
}

@Injectable()
class SecondEchoHandler {
  @JobHandler('test-echo')
  async handle(): Promise<void> {}
}

let db: TestDatabase;

async function boot(definitions: JobDefinition[], handlers: Array<new (...args: never[]) => unknown>) {
  const module = await Test.createTestingModule({
    imports: [ConfigModule.forRoot(testConfig(db.url)), DatabaseModule, JobsModule.forRoot(definitions)],
    providers: handlers,
  }).compile();
  return module.init();
}

describe('JobsService (pg-boss on the application database)', () => {
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('enqueues atomically with a Prisma transaction: rollback leaves no job, commit runs it once', async () => {
    const app = await boot([ECHO], [EchoHandler]);
    try {
      const jobs = app.get(JobsService);
      const prisma = app.get(PrismaService);

      let rolledBackId: string | undefined;
      await expect(
        prisma.$transaction(async (tx) => {
          await tx.subAccount.create({ data: { name: 'rolled back' } });
          rolledBackId = await jobs.send('test-echo', { n: 'rollback' }, { tx });
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(rolledBackId).toBeDefined();
      expect(await jobs.getJob('test-echo', rolledBackId ?? '')).toBeNull();
      expect(await prisma.subAccount.count({ where: { name: 'rolled back' } })).toBe(0);

      const committedId = await prisma.$transaction(async (tx) => {
        await tx.subAccount.create({ data: { name: 'committed' } });
        return jobs.send('test-echo', { n: 'commit' }, { tx });
      });
      jobs.wake('test-echo');
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && (await jobs.getJob('test-echo', committedId))?.state !== 'completed') {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect((await jobs.getJob('test-echo', committedId))?.state).toBe('completed');
      await new Promise((r) => setTimeout(r, 500));
      expect(seen).toEqual([{ n: 'commit' }]);
    } finally {
      await app.close();
    }
  });

  it('refuses to boot when a declared job type has no handler', async () => {
    await expect(boot([ECHO, OTHER], [EchoHandler])).rejects.toThrow('job type "test-other" has no handler');
  });

  it('refuses to boot when a job type has two handlers', async () => {
    await expect(boot([ECHO], [EchoHandler, SecondEchoHandler])).rejects.toThrow(
      'job type "test-echo" has two handlers',
    );
  });

  it('refuses to boot on a handler for an undeclared job type', async () => {
    await expect(boot([], [EchoHandler])).rejects.toThrow('handler for undeclared job type "test-echo"');
  });
});
