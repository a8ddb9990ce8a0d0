// Medium tier: what IdempotencyInterceptor stores after a success. A route whose work recorded its
// answer in its transaction gets no second write; one whose work recorded nothing still has its answer
// stored (so retries replay it), and the interceptor logs that as an error: every @Idempotent() route must
// record its answer in its work, or a crash after its commit leaves a retry to redo it.
import { CallHandler, ExecutionContext, Logger } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { defer, lastValueFrom } from 'rxjs';
import { createMediumApp, MediumApp } from '../../../test/support/medium-app';
import { TransactionRunner } from '../../database/transaction-runner';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { IdempotencyService } from './idempotency.service';

const NOT_RECORDED = 'an @Idempotent() route answered without recording its answer in its work transaction';

describe('IdempotencyInterceptor (PostgreSQL)', () => {
  let m: MediumApp;
  let interceptor: IdempotencyInterceptor;
  let service: IdempotencyService;
  let transactions: TransactionRunner;
  let errors: jest.SpyInstance;
  let n = 0;

  beforeAll(async () => {
    m = await createMediumApp();
    interceptor = m.app.get(IdempotencyInterceptor);
    service = m.app.get(IdempotencyService);
    transactions = m.app.get(TransactionRunner);
  });
  beforeEach(() => {
    errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => errors.mockRestore());
  afterAll(() => m.close());

  /** A 202 route (its @HttpCode) called with a fresh key, whose handler is `work`. */
  async function call(key: string, work: () => Promise<unknown>): Promise<{ result: unknown; status: number }> {
    const handler = (): undefined => undefined;
    Reflect.defineMetadata(HTTP_CODE_METADATA, 202, handler);
    const reply = { statusCode: 202, status: () => reply, header: () => reply };
    const request = {
      headers: { 'idempotency-key': key },
      user: { sub: 'u-1', role: 'SUPER_ADMIN', subAccountIds: [] },
      body: { subAccountId: 1 },
      method: 'POST',
      routeOptions: { url: '/api/interceptor-spec' },
    };
    const context = {
      switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }),
      getHandler: () => handler,
    } as unknown as ExecutionContext;
    const next: CallHandler = { handle: () => defer(work) };
    const result = await lastValueFrom(await interceptor.intercept(context, next));
    return { result, status: reply.statusCode };
  }

  const stored = async (key: string) =>
    (
      await m.sql.query<{ response_status: number; response_body: string; work_committed: boolean }>(
        `SELECT response_status, response_body, work_committed_at IS NOT NULL AS work_committed
         FROM idempotency_keys WHERE key = $1`,
        [key],
      )
    ).rows;

  it("stores nothing more after a work that recorded its answer (with the route's 202)", async () => {
    const key = `i-${++n}`;
    const body = { id: '1', status: 'queued' };
    const complete = jest.spyOn(service, 'succeed');
    const { result } = await call(key, () =>
      transactions.run(async () => {
        await service.recordAnswer({ body });
        return body;
      }),
    );
    expect(result).toBe(body);
    expect(complete).not.toHaveBeenCalled();
    complete.mockRestore();
    expect(errors).not.toHaveBeenCalled();
    expect(await stored(key)).toEqual([
      { response_status: 202, response_body: '{"id":"1","status":"queued"}', work_committed: true },
    ]);
  });

  it('stores the answer of a work that recorded none, and logs that as an error', async () => {
    const key = `i-${++n}`;
    await call(key, () => Promise.resolve({ id: '2' }));
    expect(errors).toHaveBeenCalledWith(expect.objectContaining({ route: 'POST /api/interceptor-spec' }), NOT_RECORDED);
    expect(await stored(key)).toEqual([{ response_status: 202, response_body: '{"id":"2"}', work_committed: false }]);
    // and a retry replays it
    const replay = await call(key, () => Promise.reject(new Error('the work must not run again')));
    expect(replay.result).toEqual({ id: '2' });
  });
});
