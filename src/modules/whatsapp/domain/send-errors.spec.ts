// Graph error codes to outcomes (throttled/transient/deferred/permanent/unknown), on Meta's documented payloads.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classifyGraphError, classifyTransportFailure, storedErrorOf } from './send-errors';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(join(__dirname, '../../../handlers/whatsapp-cloud/fixtures', name), 'utf8'));
const graph = (code: number, message = `(#${code}) Something`, details?: string) => ({
  error: { message, type: 'OAuthException', code, ...(details ? { error_data: { details } } : {}), fbtrace_id: 'A' },
});
const noJitter = { random: () => 0.5 };

describe('classifyGraphError', () => {
  it("reads Meta's documented 130429 answer: the number backs off, title without the (#code) prefix", () => {
    const c = classifyGraphError({ status: 400, body: fixture('error-response-130429.json') }, 0, noJitter);
    expect(c).toEqual({
      outcome: 'throttled',
      scope: 'number',
      reason: 'throughput',
      retryAfterMs: 1000,
      error: { code: 130429, title: 'Rate limit hit', details: 'Cloud API message throughput has been reached.' },
    });
  });

  it('grows throughput back-off per attempt, capped, and prefers the provider Retry-After', () => {
    const wait = (attempt: number) =>
      classifyGraphError({ status: 400, body: graph(130429) }, attempt, noJitter).retryAfterMs;
    expect([0, 1, 2, 10].map(wait)).toEqual([1000, 2000, 4000, 30_000]);
    expect(classifyGraphError({ status: 429, body: graph(130429), retryAfterMs: 7000 }, 0).retryAfterMs).toBe(7000);
  });

  it('applies jitter of ±20 %', () => {
    expect(classifyGraphError({ body: graph(130429) }, 0, { random: () => 0 }).retryAfterMs).toBe(800);
    expect(classifyGraphError({ body: graph(130429) }, 0, { random: () => 1 }).retryAfterMs).toBe(1200);
  });

  it('backs off only the pair on 131056, 4^X seconds', () => {
    const c = (attempt: number) => classifyGraphError({ status: 400, body: graph(131056) }, attempt, noJitter);
    expect(c(0)).toMatchObject({ outcome: 'throttled', scope: 'pair', reason: 'pair_rate', retryAfterMs: 1000 });
    expect([1, 2, 3].map((a) => c(a).retryAfterMs)).toEqual([4000, 16_000, 64_000]);
  });

  it.each([
    [4, 'app'],
    [80007, 'waba'],
    [613, 'app'],
    [131057, 'number'],
    [131048, 'number'],
  ])('treats %i as a throttle of the %s', (code, scope) => {
    expect(classifyGraphError({ status: 400, body: graph(code) }, 0, noJitter)).toMatchObject({
      outcome: 'throttled',
      scope,
    });
  });

  it.each([131000, 131016, 131053, 1, 2])('retries %i with growing back-off (transient)', (code) => {
    const c = (attempt: number) => classifyGraphError({ status: 400, body: graph(code) }, attempt, noJitter);
    expect(c(0)).toMatchObject({ outcome: 'transient', scope: 'message' });
    expect(c(1).retryAfterMs).toBe(2 * (c(0).retryAfterMs ?? 0));
  });

  it('retries a 5xx or a 429 with no Graph code, and an `is_transient` error', () => {
    expect(classifyGraphError({ status: 503, body: 'Service Unavailable' }, 0, noJitter)).toMatchObject({
      outcome: 'transient',
      reason: 'server_error',
      error: { code: null, title: 'HTTP 503', details: null },
    });
    expect(classifyGraphError({ status: 429 }, 0).outcome).toBe('transient');
    const transientBody = { error: { message: 'Temporary', code: 999, is_transient: true } };
    expect(classifyGraphError({ status: 400, body: transientBody }).outcome).toBe('transient');
  });

  it('defers the recipient for 24 hours on the per-user marketing cap (131049), from a failed webhook', () => {
    const webhook = fixture('status-failed-131049.json') as {
      entry: Array<{ changes: Array<{ value: { statuses: Array<{ errors: unknown[] }> } }> }>;
    };
    const entry = webhook.entry[0].changes[0].value.statuses[0].errors[0];
    expect(classifyGraphError({ body: entry }, 5)).toEqual({
      outcome: 'deferred',
      scope: 'pair',
      reason: 'marketing_cap',
      retryAfterMs: 24 * 3600 * 1000,
      error: {
        code: 131049,
        title: 'This message was not delivered to maintain healthy ecosystem engagement.',
        details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.',
      },
    });
  });

  it.each([
    [131047, 'window_closed', 'pair'],
    [131026, 'undeliverable', 'pair'],
    [131051, 'unsupported_type', 'message'],
    [100, 'invalid_parameter', 'message'],
    [132000, 'template_parameters', 'message'],
    [132018, 'template_parameters', 'message'],
    [132001, 'template_unusable', 'template'],
    [132015, 'template_unusable', 'template'],
    [190, 'auth', 'sender'],
    [131031, 'account_locked', 'sender'],
    [250, 'permission', 'sender'],
  ])('fails %i permanently (%s, %s)', (code, reason, scope) => {
    const c = classifyGraphError({ status: 400, body: graph(code, `(#${code}) Title ${code}`, 'why') });
    expect(c).toEqual({ outcome: 'permanent', scope, reason, error: { code, title: `Title ${code}`, details: 'why' } });
  });

  it('turns 131050 into a marketing opt-out', () => {
    expect(classifyGraphError({ body: { code: 131050, title: 'Unable to deliver the message' } })).toMatchObject({
      outcome: 'permanent',
      reason: 'opted_out',
      optOut: 'marketing',
    });
  });

  it('decides by code, never by title: a throttle titled like a permanent error is still a throttle', () => {
    const misleading = graph(130429, '(#130429) Message undeliverable');
    expect(classifyGraphError({ status: 400, body: misleading }).outcome).toBe('throttled');
    const unknown = graph(987654, '(#987654) Rate limit hit');
    expect(classifyGraphError({ status: 400, body: unknown }).outcome).toBe('permanent');
  });

  it('survives garbage bodies', () => {
    expect(classifyGraphError({ status: 400, body: '<html>' })).toMatchObject({
      outcome: 'permanent',
      error: { code: null, title: 'HTTP 400', details: null },
    });
    expect(classifyGraphError({ body: { error: { code: 'abc' } } }).error.code).toBeNull();
    expect(storedErrorOf(null)).toEqual({ code: null, title: '', details: null });
  });
});

describe('classifyTransportFailure', () => {
  it('marks a timeout unknown (the message may have gone out) and retries when nothing was sent', () => {
    expect(classifyTransportFailure('timeout')).toMatchObject({ outcome: 'unknown', reason: 'timeout' });
    expect(classifyTransportFailure('timeout').retryAfterMs).toBeUndefined();
    expect(classifyTransportFailure('network', 2, noJitter)).toMatchObject({
      outcome: 'transient',
      retryAfterMs: 8000,
    });
    expect(classifyTransportFailure('circuit_open').outcome).toBe('transient');
  });
});
