import { classifyGraphError, classifyTransportFailure } from '../domain/send-errors';
import {
  etaSeconds,
  ledgerStatesBefore,
  ledgerStatesOf,
  MAX_TRANSIENT_ATTEMPTS,
  RECIPIENT_STATES,
  recipientStatusOf,
  resolveFailure,
} from './bulk-states';

const graph = (status: number, code: number, retryAfterMs?: number) =>
  classifyGraphError({ status, body: { error: { code, message: `error ${code}` } }, retryAfterMs }, 0, {
    random: () => 0.5,
  });

describe('resolveFailure: what a bulk recipient becomes after a refused or unanswered send', () => {
  it('throttles retry later without using up attempts; the number-wide one pauses the bucket', () => {
    expect(resolveFailure(graph(400, 130429, 1500), 1)).toEqual({
      kind: 'retry',
      afterMs: 1500,
      countsAsAttempt: false,
      pauseNumberMs: 1500,
    });
    const pair = resolveFailure(graph(400, 131056), 1);
    expect(pair).toMatchObject({ kind: 'retry', countsAsAttempt: false });
    expect(pair).not.toHaveProperty('pauseNumberMs');
    // 131056 backs off the pair (this recipient), never the number
    expect(pair).toMatchObject({ pausePairMs: expect.any(Number) });
  });

  it('app- and WABA-level throttles (4, 17, 32, 613, 80007) pause the number too: each further call would hit them', () => {
    for (const code of [4, 17, 32, 613, 80007])
      expect(resolveFailure(graph(400, code, 60_000), 1)).toEqual({
        kind: 'retry',
        afterMs: 60_000,
        countsAsAttempt: false,
        pauseNumberMs: 60_000,
      });
  });

  it('a failure of the sender or the template stops the bulk; one of the recipient does not', () => {
    // account locked, payment, policy block, auth; template paused/disabled
    for (const code of [131031, 131042, 368, 190, 132015])
      expect(resolveFailure(graph(400, code), 1)).toMatchObject({ kind: 'failed', code, stopsBulk: true });
    for (const code of [131026, 131050, 131047, 100])
      expect(resolveFailure(graph(400, code), 1)).not.toHaveProperty('stopsBulk');
  });

  it("a message's status moves its ledger row only forward", () => {
    expect(ledgerStatesBefore('sent')).toEqual(['claimed', 'unknown', 'accepted']);
    expect(ledgerStatesBefore('read')).toContain('delivered');
    expect(ledgerStatesBefore('delivered')).not.toContain('read');
    expect(ledgerStatesBefore('failed')).not.toContain('read');
    expect(ledgerStatesBefore('failed')).not.toContain('skipped');
    expect(ledgerStatesBefore('queued')).toEqual([]);
  });

  it('131049 (marketing cap) is deferred by hours, not seconds', () => {
    const deferred = resolveFailure(graph(400, 131049), 1);
    expect(deferred.kind).toBe('retry');
    if (deferred.kind === 'retry') expect(deferred.afterMs).toBeGreaterThanOrEqual(3_600_000);
  });

  it('transient errors retry until the attempts run out, then fail', () => {
    expect(resolveFailure(graph(500, 1), 1)).toMatchObject({ kind: 'retry', countsAsAttempt: true });
    expect(resolveFailure(graph(500, 1), MAX_TRANSIENT_ATTEMPTS)).toMatchObject({ kind: 'failed', code: 1 });
    expect(resolveFailure(classifyTransportFailure('network'), 1)).toMatchObject({ kind: 'retry' });
  });

  it('a timeout is unknown (never resent silently); permanent errors fail with the code, 131050 as an opt-out', () => {
    expect(resolveFailure(classifyTransportFailure('timeout'), 1)).toMatchObject({ kind: 'unknown' });
    expect(resolveFailure(graph(400, 131026), 1)).toMatchObject({ kind: 'failed', code: 131026 });
    expect(resolveFailure(graph(400, 131050), 1)).toMatchObject({ kind: 'failed', code: 131050, optOut: 'marketing' });
    expect(resolveFailure(graph(400, 132001), 1)).toMatchObject({ kind: 'failed', code: 132001 });
  });
});

describe('etaSeconds', () => {
  it('uses the measured rate, never more than the configured one', () => {
    expect(etaSeconds('running', 800, 80, { sends: 400, seconds: 10 })).toBe(20);
    expect(etaSeconds('running', 800, 80, { sends: 2000, seconds: 10 })).toBe(10);
    expect(etaSeconds('running', 800, 80, null)).toBe(10);
  });

  it('is null when the bulk is not moving, 0 when nothing is left', () => {
    expect(etaSeconds('paused', 800, 80, null)).toBeNull();
    // queued for a start an hour away: nothing to estimate yet
    expect(etaSeconds('queued', 800, 80, null, true)).toBeNull();
    expect(etaSeconds('completed', 0, 80, null)).toBeNull();
    expect(etaSeconds('running', 0, 80, null)).toBe(0);
  });
});

describe('recipient statuses in the words of the counts', () => {
  it('shows claimed as pending and accepted as sent; every other state as itself', () => {
    expect(RECIPIENT_STATES.map(recipientStatusOf)).toEqual([
      'pending',
      'pending',
      'sent',
      'sent',
      'delivered',
      'read',
      'failed',
      'skipped',
      'unknown',
    ]);
  });

  it('a ?status= filter selects the ledger states shown with that status', () => {
    expect(ledgerStatesOf('pending')).toEqual(['pending', 'claimed']);
    expect(ledgerStatesOf('sent')).toEqual(['accepted', 'sent']);
    expect(ledgerStatesOf('accepted')).toEqual(['accepted']);
    for (const state of RECIPIENT_STATES)
      for (const selected of ledgerStatesOf(recipientStatusOf(state)))
        expect(recipientStatusOf(selected)).toBe(recipientStatusOf(state));
  });
});
