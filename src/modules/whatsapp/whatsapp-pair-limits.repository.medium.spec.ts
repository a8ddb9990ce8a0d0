// Medium tier: Meta's pair rate limit (GCRA, domain/pair-rate.ts) in one SQL statement, as every
// worker process shares it: a burst, then one send per interval; concurrent takers never exceed the
// burst between them; a 131056 blocks the pair alone for its back-off.
import { createMediumApp, MediumApp } from '../../../test/support/medium-app';
import { WhatsAppPairLimitsRepository } from './whatsapp-pair-limits.repository';

describe('WhatsAppPairLimitsRepository (PostgreSQL)', () => {
  let m: MediumApp;
  let pairs: WhatsAppPairLimitsRepository;
  const limit = { intervalMs: 1000, burst: 3 }; // an interval no loaded machine takes for three statements
  let n = 0;
  const key = () => `whatsapp:number:pair-spec-${++n}`;

  beforeAll(async () => {
    m = await createMediumApp();
    pairs = m.app.get(WhatsAppPairLimitsRepository);
  });
  afterAll(() => m.close());

  it('grants the burst, then makes the next send wait about one interval', async () => {
    const rateKey = key();
    for (let i = 0; i < 3; i++) expect((await pairs.take(rateKey, '5511987654321', limit)).granted).toBe(true);
    const refused = await pairs.take(rateKey, '5511987654321', limit);
    expect(refused.granted).toBe(false);
    expect(refused.waitMs).toBeGreaterThan(0);
    expect(refused.waitMs).toBeLessThanOrEqual(limit.intervalMs);
    // another recipient of the same number is not held back
    expect((await pairs.take(rateKey, '5511911112222', limit)).granted).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, refused.waitMs + 20));
    expect((await pairs.take(rateKey, '5511987654321', limit)).granted).toBe(true);
    expect((await pairs.take(rateKey, '5511987654321', limit)).granted).toBe(false);
  });

  it('never grants more than the burst to concurrent takers', async () => {
    const rateKey = key();
    const results = await Promise.all(
      Array.from({ length: 12 }, () => pairs.take(rateKey, '14155550100', { intervalMs: 60_000, burst: 3 })),
    );
    expect(results.filter((r) => r.granted)).toHaveLength(3);
  });

  it('a 131056 blocks only that pair, for at least its back-off', async () => {
    const rateKey = key();
    await pairs.refused(rateKey, '14155550101', limit, 3000);
    const blocked = await pairs.take(rateKey, '14155550101', limit);
    expect(blocked.granted).toBe(false);
    expect(blocked.waitMs).toBeGreaterThan(2000);
    expect((await pairs.take(rateKey, '14155550102', limit)).granted).toBe(true);
  });
});
