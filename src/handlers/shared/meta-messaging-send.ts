/**
 * The Messenger Platform Send API, shared by Facebook Messenger and Instagram Direct (the Messenger
 * API for Instagram sends through the connected page): POST /<PAGE_ID>/messages with the page
 * token, `recipient.id` the PSID or IGSID, `messaging_type: RESPONSE` inside the 24-hour standard
 * messaging window, `MESSAGE_TAG` + `tag: HUMAN_AGENT` up to 7 days after the person's last message;
 * answers `{ recipient_id, message_id }`
 * (developers.facebook.com/docs/messenger-platform/reference/send-api, "Sample Request").
 */
import { OutboundError, OutboundErrorKind, OutboundResponse } from '../../common/outbound/http-client';
import type { HandlerContext } from '../integration-handler';
import { asString, isRecord } from './json';
import { graphErrorOf, graphSaid, graphRequest, isGraphThrottle } from './meta-graph';

/** Messenger's text limit (Send API "message.text": UTF-8, 2000 characters); Instagram's is 1000 bytes. */
export const MAX_TEXT_LENGTH: Readonly<Record<'messenger' | 'instagram', number>> = {
  messenger: 2000,
  instagram: 1000,
};

/**
 * Send API calls per second per Facebook Page, and per Instagram professional account, for messages
 * with text, links, reactions and stickers (Messenger Platform rate limits, developers.facebook.com/
 * documentation/business-messaging/messenger-platform/overview/rate-limiting, "Send API"). The hub
 * sends text only; the limit is shared by every process through one PostgreSQL token bucket per page
 * or account.
 */
export const SEND_API_CALLS_PER_SECOND = 300;

/** Why a send was refused, as the messaging module acts on it. */
export type MessagingSendFailure =
  'rate_limited' | 'window_closed' | 'user_unavailable' | 'permissions' | 'auth' | 'invalid' | 'temporary' | 'unknown';

/**
 * A send Meta refused or that failed on the way, classified by Graph code and subcode (Messenger
 * Platform "Common Error Codes", developers.facebook.com/documentation/business-messaging/
 * messenger-platform/error-codes). `retryable`: sending the same message again later is safe and may
 * succeed (throttling, temporary failures, nothing reached Meta); a timeout is not: it may have gone out.
 */
export class MessagingSendError extends OutboundError {
  constructor(
    kind: OutboundErrorKind,
    message: string,
    readonly failure: MessagingSendFailure,
    readonly code: number | undefined,
    readonly subcode: number | undefined,
    readonly retryable: boolean,
    status?: number,
    body?: unknown,
    retryAfterMs?: number,
  ) {
    super(kind, message, status, body, retryAfterMs);
    this.name = 'MessagingSendError';
  }

  override get transient(): boolean {
    return this.retryable;
  }
}

// Codes as the error-code page and the Send API reference list them. UNCONFIRMED first-hand: the
// exact subcodes 2018278 (outside the allowed window), 2018001 (no matching user) and 1545041
// (person not available); they are read from integrations that follow them.
function failureOf(code: number | undefined, subcode: number | undefined, err: OutboundError): MessagingSendFailure {
  const graph = { code, subcode };
  if (isGraphThrottle(graph) || err.kind === 'rate_limited') return 'rate_limited';
  if (code === 190 || code === 102) return 'auth';
  if (subcode === 2018278 || subcode === 2018065 || subcode === 2534022) return 'window_closed';
  if (code === 551 || subcode === 1545041 || subcode === 2018001 || subcode === 2018108) return 'user_unavailable';
  if (code === 10 || code === 200 || code === 230 || (code !== undefined && code > 200 && code < 300))
    return 'permissions';
  if (code === 1200 || code === 2 || err.kind === 'server' || err.kind === 'network' || err.kind === 'circuit_open')
    return 'temporary';
  if (code === 100) return 'invalid';
  if (err.kind === 'auth') return 'auth';
  return 'unknown';
}

/** Wraps a failed send; anything that is not an outbound failure passes through unchanged. */
export function toMessagingSendError(err: unknown): unknown {
  if (!(err instanceof OutboundError) || err instanceof MessagingSendError) return err;
  const graph = graphErrorOf(err.body);
  const failure = failureOf(graph?.code, graph?.subcode, err);
  const retryable = (failure === 'rate_limited' || failure === 'temporary') && err.kind !== 'timeout';
  // stored on the message and shown: Graph's words without what the call carried (graphSaid)
  const said = graph?.message !== undefined ? graphSaid(err, []) : err.message;
  const codes = graph?.code !== undefined ? ` (code ${graph.code}${graph.subcode ? `/${graph.subcode}` : ''})` : '';
  return new MessagingSendError(
    failure === 'rate_limited' ? 'rate_limited' : err.kind,
    `Meta send failed${codes}: ${said}`,
    failure,
    graph?.code,
    graph?.subcode,
    retryable,
    err.status,
    err.body,
    err.retryAfterMs,
  );
}

export interface MessagingSendRequest {
  pageId: string;
  accessToken: string;
  appSecret?: string;
  recipientId: string;
  text: string;
  /** HUMAN_AGENT outside the 24-hour window (allowed up to 7 days after the person's last message). */
  tag?: 'HUMAN_AGENT';
  /**
   * The mid of the person's message this one answers, sent as `reply_to: { mid }` beside `message`.
   * UNCONFIRMED: the Send API reference pages read through the search tool (Messenger Send API,
   * Instagram Messaging) do not show `reply_to` on a send; webhooks do carry `message.reply_to.mid`
   * for the person's own replies, and third-party Instagram senders put `reply_to: { mid }` at the top
   * of the body. If Meta refuses the field, the send fails with Meta's code like any refusal.
   */
  replyToMid?: string;
}

export interface MessagingSendResult {
  /** The mid that echoes, deliveries and reads refer to. */
  messageId: string;
}

/** One POST, never retried by the client: a repeated send could reach the person twice. */
export async function sendMessagingText(ctx: HandlerContext, req: MessagingSendRequest): Promise<MessagingSendResult> {
  let res: OutboundResponse;
  try {
    res = await graphRequest(ctx, {
      method: 'POST',
      path: `${req.pageId}/messages`,
      body: {
        recipient: { id: req.recipientId },
        ...(req.tag ? { messaging_type: 'MESSAGE_TAG', tag: req.tag } : { messaging_type: 'RESPONSE' }),
        message: { text: req.text },
        ...(req.replyToMid ? { reply_to: { mid: req.replyToMid } } : {}),
      },
      accessToken: req.accessToken,
      appSecret: req.appSecret,
      retry: false,
    });
  } catch (err) {
    throw toMessagingSendError(err);
  }
  const messageId = isRecord(res.body) ? asString(res.body.message_id) : undefined;
  if (!messageId) {
    throw new MessagingSendError(
      'server',
      `Meta accepted the send without a message id (HTTP ${res.status})`,
      'unknown',
      undefined,
      undefined,
      false,
      res.status,
      res.body,
    );
  }
  return { messageId };
}
