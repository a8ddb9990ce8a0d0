// The send worker's decision on a failed Messenger / Instagram send: throttled, retried, unknown or failed.
import { backoffMs, MAX_SEND_ATTEMPTS, sendRetryDecision } from './send-retry';

const facts = (over: Partial<Parameters<typeof sendRetryDecision>[0]> = {}) => ({
  failure: 'rate_limited' as const,
  retryable: true,
  timedOut: false,
  ...over,
});

describe('sendRetryDecision', () => {
  it('a rate limit is throttled: backed off 2, 4, 8 … seconds up to a minute, or for Retry-After', () => {
    expect(sendRetryDecision(facts(), 1)).toEqual({ kind: 'throttled', afterMs: 2000 });
    expect(sendRetryDecision(facts(), 3)).toEqual({ kind: 'throttled', afterMs: 8000 });
    expect(sendRetryDecision(facts(), 9)).toEqual({ kind: 'throttled', afterMs: 60_000 });
    expect(sendRetryDecision(facts({ retryAfterMs: 1500 }), 1)).toEqual({ kind: 'throttled', afterMs: 1500 });
    expect(backoffMs(0)).toBe(1000);
  });

  it('a temporary failure retries; a permanent one (window, user unavailable, permissions) fails at once', () => {
    expect(sendRetryDecision(facts({ failure: 'temporary' }), 2)).toEqual({ kind: 'retry', afterMs: 4000 });
    for (const failure of ['window_closed', 'user_unavailable', 'permissions', 'auth', 'invalid'] as const)
      expect(sendRetryDecision(facts({ failure, retryable: false }), 1)).toEqual({ kind: 'failed' });
  });

  it('a timeout may have reached Meta: unknown, never resent, whatever the attempt', () => {
    expect(sendRetryDecision(facts({ failure: 'temporary', retryable: false, timedOut: true }), 1)).toEqual({
      kind: 'unknown',
    });
  });

  it('gives up after the last attempt', () => {
    expect(sendRetryDecision(facts(), MAX_SEND_ATTEMPTS - 1).kind).toBe('throttled');
    expect(sendRetryDecision(facts(), MAX_SEND_ATTEMPTS)).toEqual({ kind: 'failed' });
  });
});
