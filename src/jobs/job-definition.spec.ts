import { emptyPayload, idPayload, InvalidJobPayload, JobHandler } from './job-definition';
import { JOB_DEFINITIONS } from './job-types';
import type { JobsService } from './jobs.service';

describe('job payload codecs (the queue boundary)', () => {
  const codec = idPayload('eventId');

  it('stores 64-bit ids as decimal strings and reads them back as bigint', () => {
    expect(codec.encode({ eventId: 9_223_372_036_854_775_807n })).toEqual({ eventId: '9223372036854775807' });
    expect(codec.decode({ eventId: '42' })).toEqual({ eventId: 42n });
  });

  it.each([
    undefined,
    null,
    'eventId',
    {},
    { eventId: 42 },
    { eventId: '' },
    { eventId: '0' },
    { eventId: '-1' },
    { eventId: '1e3' },
    { eventId: ' 42' },
    { eventId: '9223372036854775808' },
    { runId: '42' },
  ])('refuses %j', (data) => {
    expect(() => codec.decode(data)).toThrow(InvalidJobPayload);
  });

  it('gives every declared job a codec, and the cron tick an empty payload', () => {
    for (const def of Object.values(JOB_DEFINITIONS)) expect(typeof def.codec.decode).toBe('function');
    expect(JOB_DEFINITIONS['sync-scheduler'].codec).toBe(emptyPayload);
    expect(JOB_DEFINITIONS['integration-sync'].codec.decode({ runId: '7' })).toEqual({ runId: 7n });
  });

  it("carries a webhook event's busy-database retries, and refuses a count that is not one", () => {
    const codec = JOB_DEFINITIONS['webhook-process'].codec;
    expect(codec.encode({ eventId: 5n })).toEqual({ eventId: '5' });
    expect(codec.encode({ eventId: 5n, busy: 0 })).toEqual({ eventId: '5' });
    expect(codec.encode({ eventId: 5n, busy: 3 })).toEqual({ eventId: '5', busy: 3 });
    expect(codec.decode({ eventId: '5' })).toEqual({ eventId: 5n });
    expect(codec.decode({ eventId: '5', busy: 3 })).toEqual({ eventId: 5n, busy: 3 });
    for (const busy of [-1, 1.5, '3', null, 1001])
      expect(() => codec.decode({ eventId: '5', busy })).toThrow(InvalidJobPayload);
    expect(() => codec.decode({ busy: 1 })).toThrow(InvalidJobPayload);
  });
});

// Compile-time checks (npm run typecheck): send and @JobHandler are typed by the JobPayloads map.
export function sendIsTyped(jobs: JobsService): void {
  void jobs.send('webhook-process', { eventId: 1n });
  // @ts-expect-error another job's payload
  void jobs.send('webhook-process', { runId: 1n });
  // @ts-expect-error a job that is not declared
  void jobs.send('no-such-job', {});
}

export class HandlersAreTyped {
  @JobHandler('integration-sync')
  async right(payload: { runId: bigint }): Promise<void> {
    void payload;
  }

  // @ts-expect-error a parameter that is not the job's payload
  @JobHandler('integration-sync')
  async wrong(payload: { eventId: bigint }): Promise<void> {
    void payload;
  }
}
