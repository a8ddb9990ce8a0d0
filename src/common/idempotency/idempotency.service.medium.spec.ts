// Medium tier: Idempotency-Key claims in PostgreSQL, as several API processes share them: of many
// concurrent requests with one key exactly one does the work; a claim whose process died is taken over
// by one request once its lease runs out; a failed request leaves the key free; a day-old key is gone.
import { createMediumApp, MediumApp } from '../../../test/support/medium-app';
import { IdempotencyScope } from './idempotency-keys.repository';
import { IdempotencyClaim, IdempotencyService } from './idempotency.service';

describe('IdempotencyService (PostgreSQL)', () => {
  let m: MediumApp;
  let service: IdempotencyService;
  let n = 0;
  const scope = (): IdempotencyScope => ({ subAccountId: 1, route: 'POST /api/spec', userSub: 'u-1', key: `k-${++n}` });
  const owners = (claims: IdempotencyClaim[]) => claims.filter((c) => c.kind === 'owner');

  beforeAll(async () => {
    m = await createMediumApp();
    service = m.app.get(IdempotencyService);
  });
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
    await service.fail(failed.id);
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
});
