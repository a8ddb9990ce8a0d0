// Medium tier: Idempotency-Key claims in PostgreSQL, as several API processes share them: of many
// concurrent requests with one key exactly one does the work; its answer commits with its work's
// transaction, so a retry after its process died past that commit replays it; a claim whose process
// died before is taken over by one request once its lease runs out; a failed request leaves the key
// free unless its work committed; a day-old key is gone.
import { createMediumApp, MediumApp } from '../../../test/support/medium-app';
import { TransactionRunner } from '../../database/transaction-runner';
import { IdempotencyScope } from './idempotency-keys.repository';
import {
  ANSWER_LOST,
  IdempotentAnswer,
  IdempotencyClaim,
  IdempotencyService,
  IN_PROGRESS_WAIT_MS,
  WORK_DONE_BY_RETRY,
} from './idempotency.service';
import { IdempotentWork, idempotentWork } from './idempotent-work';

const ANSWER = { body: { id: '7', status: 'queued' } };
const REPLAY = { kind: 'replay', status: 202, body: '{"id":"7","status":"queued"}' };

describe('IdempotencyService (PostgreSQL)', () => {
  let m: MediumApp;
  let service: IdempotencyService;
  let transactions: TransactionRunner;
  let n = 0;
  const scope = (): IdempotencyScope => ({ subAccountId: 1, route: 'POST /api/spec', userSub: 'u-1', key: `k-${++n}` });
  const owners = (claims: IdempotencyClaim[]) => claims.filter((c) => c.kind === 'owner');

  beforeAll(async () => {
    m = await createMediumApp();
    service = m.app.get(IdempotencyService);
    transactions = m.app.get(TransactionRunner);
  });

  async function own(s: IdempotencyScope): Promise<IdempotentWork> {
    const claim = await service.begin(s, 'fp');
    if (claim.kind !== 'owner') throw new Error('expected to own the key');
    return { claimId: claim.id, status: 202, committed: false };
  }

  /** The request's work: a transaction that records its answer, then `after` (which may throw: a rollback). */
  const doWork = (work: IdempotentWork, after: () => void = () => undefined, answer: IdempotentAnswer = ANSWER) =>
    idempotentWork.run(work, () =>
      transactions.run(async () => {
        await service.recordAnswer(answer);
        after();
      }),
    );

  /** Its process died: nobody stores an answer or releases the key, and the lease runs out. */
  const leaseRunsOut = (s: IdempotencyScope) =>
    m.sql.query(`UPDATE idempotency_keys SET locked_until = now() - interval '1 second' WHERE key = $1`, [s.key]);
  const rowsOf = async (s: IdempotencyScope) =>
    (await m.sql.query('SELECT 1 FROM idempotency_keys WHERE key = $1', [s.key])).rowCount;
  afterAll(() => m.close());

  it('lets one of 12 concurrent requests work; the others wait for its answer and replay it', async () => {
    const s = scope();
    const pending = Array.from({ length: 12 }, () => service.begin(s, 'fp'));
    const first = await Promise.race(pending);
    expect(first.kind).toBe('owner');
    if (first.kind !== 'owner') return;
    await new Promise((r) => setTimeout(r, 300));
    await service.succeed(first.id, 202, '{"id":"1"}');
    const claims = await Promise.all(pending);
    expect(owners(claims)).toHaveLength(1);
    expect(claims.filter((c) => c.kind === 'replay')).toEqual(
      Array.from({ length: 11 }, () => ({ kind: 'replay', status: 202, body: '{"id":"1"}' })),
    );
  });

  it('gives a claim whose lease ran out (its process died) to exactly one of the requests that find it', async () => {
    const s = scope();
    const dead = await service.begin(s, 'fp');
    expect(dead.kind).toBe('owner');
    await m.sql.query(`UPDATE idempotency_keys SET locked_until = now() - interval '1 second' WHERE key = $1`, [s.key]);
    const claims = await Promise.allSettled(Array.from({ length: 6 }, () => service.begin(s, 'fp')));
    const taken = claims.flatMap((c) => (c.status === 'fulfilled' ? [c.value] : []));
    expect(owners(taken)).toEqual([{ kind: 'owner', id: dead.kind === 'owner' ? dead.id : '' }]);
    // the others waited their 5 s for it and were told it is in progress
    for (const c of claims.filter((r): r is PromiseRejectedResult => r.status === 'rejected'))
      expect(c.reason).toMatchObject({
        status: 409,
        message: expect.stringMatching(/in progress/),
      });
  }, 20_000);

  it('leaves the key free after a failure, and refuses it for another body after a success', async () => {
    const s = scope();
    const failed = await service.begin(s, 'fp-1');
    if (failed.kind !== 'owner') throw new Error('expected to own the key');
    await service.fail({ claimId: failed.id, status: 201, committed: false });
    // after the failure, even another (corrected) body may use the key
    const corrected = await service.begin(s, 'fp-2');
    expect(corrected.kind).toBe('owner');
    if (corrected.kind !== 'owner') return;
    await service.succeed(corrected.id, 201, '{}');
    await expect(service.begin(s, 'fp-1')).rejects.toMatchObject({
      status: 409,
      message: 'This Idempotency-Key was used with a different request body',
    });
  });

  it('forgets a key after 24 hours', async () => {
    const s = scope();
    const old = await service.begin(s, 'fp');
    if (old.kind !== 'owner') throw new Error('expected to own the key');
    await service.succeed(old.id, 202, '{"id":"old"}');
    await m.sql.query(`UPDATE idempotency_keys SET created_at = now() - interval '24 hours 1 second' WHERE key = $1`, [
      s.key,
    ]);
    const again = await service.begin(s, 'fp');
    expect(again.kind).toBe('owner');
    const { rows } = await m.sql.query(
      "SELECT count(*)::int AS n FROM idempotency_keys WHERE created_at < now() - interval '24 hours'",
    );
    expect(rows[0].n).toBe(0);
  });

  it('replays the answer the work recorded to every retry once its process died past the commit, never the work', async () => {
    const s = scope();
    const work = await own(s);
    await doWork(work);
    expect(work.committed).toBe(true);
    await leaseRunsOut(s);
    const retries = await Promise.all(Array.from({ length: 6 }, () => service.begin(s, 'fp')));
    expect(retries).toEqual(Array.from({ length: 6 }, () => REPLAY));
  });

  it("answers with the work's own status when it gives one (a lead matched: 200), else the route's", async () => {
    const s = scope();
    await doWork(await own(s), undefined, { status: 200, body: { id: '9' } });
    expect(await service.begin(s, 'fp')).toEqual({ kind: 'replay', status: 200, body: '{"id":"9"}' });
  });

  it('keeps 409 ANSWER_LOST for a claim of the previous release marked without an answer: never its work again', async () => {
    const s = scope();
    await own(s);
    await m.sql.query(
      `UPDATE idempotency_keys SET work_committed_at = now(), locked_until = now() - interval '1 second' WHERE key = $1`,
      [s.key],
    );
    const retries = await Promise.allSettled(Array.from({ length: 6 }, () => service.begin(s, 'fp')));
    for (const r of retries)
      expect(r).toMatchObject({ status: 'rejected', reason: { status: 409, message: ANSWER_LOST } });
  });

  it('rolls the answer back with a work that rolled back: the lapsed claim is taken over', async () => {
    const s = scope();
    const work = await own(s);
    await expect(
      doWork(work, () => {
        throw new Error('the work failed after recording its answer');
      }),
    ).rejects.toThrow('the work failed after recording its answer');
    expect(work.committed).toBe(false);
    await leaseRunsOut(s);
    expect(await service.begin(s, 'fp')).toEqual({ kind: 'owner', id: work.claimId });
  });

  it('keeps the answer of a request that failed after its work committed: its retry replays it at once', async () => {
    const s = scope();
    const work = await own(s);
    await doWork(work);
    await service.fail(work);
    const started = Date.now();
    expect(await service.begin(s, 'fp')).toEqual(REPLAY);
    expect(Date.now() - started).toBeLessThan(IN_PROGRESS_WAIT_MS);

    // a commit the request never saw (its COMMIT's reply lost) is not released either
    const unseen = scope();
    const lost = await own(unseen);
    await doWork(lost);
    await service.fail({ ...lost, committed: false });
    expect(await rowsOf(unseen)).toBe(1);
    expect(await service.begin(unseen, 'fp')).toEqual(REPLAY);
  });

  it('lets one work commit per claim: a request that outlived its lease cannot commit after the retry that took over', async () => {
    const s = scope();
    const slow = await own(s);
    await leaseRunsOut(s);
    const retry = await own(s);
    expect(retry.claimId).toBe(slow.claimId);
    await doWork(retry);
    await expect(doWork(slow, undefined, { body: { id: 'slow' } })).rejects.toMatchObject({
      status: 409,
      message: WORK_DONE_BY_RETRY,
    });
    expect(slow.committed).toBe(false);
    expect(await service.begin(s, 'fp')).toEqual(REPLAY);
  });

  it('records nothing outside a request holding a claim, and refuses to record outside a transaction', async () => {
    await expect(transactions.run(() => service.recordAnswer(ANSWER))).resolves.toBeUndefined();
    const work = await own(scope());
    await expect(idempotentWork.run(work, () => service.recordAnswer(ANSWER))).rejects.toThrow(
      'recordAnswer must run inside the transaction of the work it answers for',
    );
  });
});
