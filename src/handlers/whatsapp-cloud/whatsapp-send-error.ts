import { OutboundError, OutboundErrorKind } from '../../common/outbound/http-client';
import { graphErrorOf, graphSaid } from '../shared/meta-graph';

// Throughput (130429), pair rate (131056), maintenance/throughput upgrade (131057) and the
// management rate limits (4 app, 80007 WABA): the same send can succeed later.
const RETRYABLE_CODES = new Set([130429, 131056, 131057, 4, 80007]);
// Retrying these sends the same refused message again: outside the 24 h window, undeliverable,
// spam/ecosystem/marketing limits, restricted account, expired token; 132xxx are template errors.
const PERMANENT_CODES = new Set([131047, 131026, 131048, 131049, 131050, 131031, 368, 190]);

/**
 * A send WhatsApp refused or that failed on the way, with WhatsApp's error code. `retryable` says
 * whether sending the same message again later is safe and may succeed: 24-hour window (131047),
 * undeliverable (131026), ecosystem/marketing limits (131049, 131050), template errors (132xxx)
 * and every other 4xx are not. A timeout is not retryable either: the message may have gone out.
 */
export class WhatsAppSendError extends OutboundError {
  constructor(
    kind: OutboundErrorKind,
    message: string,
    readonly code: number | undefined,
    readonly retryable: boolean,
    readonly details?: string,
    status?: number,
    body?: unknown,
    retryAfterMs?: number,
  ) {
    super(kind, message, status, body, retryAfterMs);
    this.name = 'WhatsAppSendError';
  }

  /** Job-level retries follow WhatsApp's code, not only the HTTP status. */
  override get transient(): boolean {
    return this.retryable;
  }
}

function isRetryable(err: OutboundError, code: number | undefined): boolean {
  if (code !== undefined && RETRYABLE_CODES.has(code)) return true;
  if (code !== undefined && (PERMANENT_CODES.has(code) || (code >= 132000 && code < 133000))) return false;
  if (err.kind === 'timeout') return false;
  if (err.kind === 'network' || err.kind === 'circuit_open') return true; // nothing reached WhatsApp
  return err.kind === 'server' || (err.kind === 'rate_limited' && code === undefined);
}

/** Wraps a failed send call; other errors (a missing config value …) pass through unchanged. */
export function toSendError(err: unknown): unknown {
  if (!(err instanceof OutboundError) || err instanceof WhatsAppSendError) return err;
  const graph = graphErrorOf(err.body);
  const code = graph?.code;
  // stored on the message and shown: Graph's words without what the call carried (graphSaid)
  const said = graph?.message !== undefined ? graphSaid(err, []) : err.message;
  const message = `WhatsApp send failed${code !== undefined ? ` (code ${code})` : ''}: ${said}${graph?.details ? ` (${graph.details})` : ''}`;
  return new WhatsAppSendError(
    err.kind,
    message,
    code,
    isRetryable(err, code),
    graph?.details,
    err.status,
    err.body,
    err.retryAfterMs,
  );
}
