import { createHmac } from 'node:crypto';
import { MAX_RETRY_AFTER_MS, OutboundError, OutboundResponse } from '../../common/outbound/http-client';
import type { HandlerContext } from '../integration-handler';
import { asBoolean, asNumber, asString, bodyKind, isRecord } from './json';

// Meta Graph API conventions, shared by Meta Lead Ads, Facebook Ads and WhatsApp Cloud.

/** The Graph error envelope `{error:{message, code, error_subcode, is_transient, error_data:{details}}}`. */
export interface GraphError {
  message?: string;
  code?: number;
  subcode?: number;
  isTransient?: boolean;
  /** WhatsApp's `error_data.details`, which Meta says to key off together with the code. */
  details?: string;
}

export function graphErrorOf(body: unknown): GraphError | undefined {
  if (!isRecord(body) || !isRecord(body.error)) return undefined;
  const error = body.error;
  return {
    message: asString(error.message),
    code: asNumber(error.code),
    subcode: asNumber(error.error_subcode),
    isTransient: asBoolean(error.is_transient),
    details: isRecord(error.error_data) ? asString(error.error_data.details) : undefined,
  };
}

/**
 * What Graph said about a failed call, fit for an event's lastError, an integration's errorMessage
 * and logs. The OutboundError's own message is redacted by the client, but its parsed body is
 * Graph's answer verbatim, and Graph (or a proxy in between) may echo the request: the URL with its
 * query (`access_token=`, `appsecret_proof=`), the Authorization header, the token it refuses
 * ("Malformed access token EAA…"). Every query value, bearer credential and given secret is
 * replaced; DESIGN.md "Secrets": never in error messages.
 */
export function graphSaid(err: OutboundError, secrets: ReadonlyArray<string | undefined>): string {
  const said = graphErrorOf(err.body)?.message ?? `HTTP ${err.status ?? err.kind}`;
  let out = said
    .replace(/([?&][^=\s&?#]+=)[^&\s"'#)]+/g, '$1[redacted]')
    .replace(/\b(bearer)\s+[^\s"',;)]+/gi, '$1 [redacted]')
    .replace(/\b(access_token|appsecret_proof|client_secret)(["']?\s*[:=]\s*["']?)[^\s"'&,;)]+/gi, '$1$2[redacted]');
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    out = out.split(secret).join('[redacted]').split(encodeURIComponent(secret)).join('[redacted]');
  }
  return out;
}

// Graph throttling codes (application 4, user 17, 32 page, 613 custom, 80000-range business use
// case) can come back as HTTP 400: they are a reason to retry later, not a broken lead.
export function isGraphThrottle(error: GraphError | undefined): boolean {
  if (!error) return false;
  if (error.isTransient === true) return true;
  const code = error.code;
  return (
    code === 4 || code === 17 || code === 32 || code === 613 || (code !== undefined && code >= 80000 && code < 80100)
  );
}

/** Code 190 (or the old 102): the access token is invalid or expired (sent as HTTP 400, not 401). */
export function isGraphAuthError(error: GraphError | undefined): boolean {
  return error?.code === 190 || error?.code === 102;
}

/**
 * Code 10 or 200-299: the token lacks a permission ("API Permission Denied", "API Permission";
 * developers.facebook.com/docs/graph-api/guides/error-handling). A new token of the same grant would
 * be refused the same way: someone must reconnect with the permission.
 */
export function isGraphPermissionError(error: GraphError | undefined): boolean {
  const code = error?.code;
  return code === 10 || (code !== undefined && code >= 200 && code <= 299);
}

/**
 * The `data` list of a Graph page. A 200 that is not a page (an HTML error page or an empty body
 * from Graph or a proxy in between, `{}`, a `data` that is not a list) says nothing about what is
 * there: read as an empty page, a sync would end "nothing new" without having read anything. Graph
 * answers an edge as `{ data: [...], paging }` (developers.facebook.com/docs/graph-api/results),
 * so anything else is a failed call, retried later like a 5xx.
 */
export function graphPageData(res: OutboundResponse, what: string): unknown[] {
  if (isRecord(res.body) && Array.isArray(res.body.data)) return res.body.data;
  const kind = isRecord(res.body) ? 'a JSON object without a data list' : bodyKind(res.body);
  throw new OutboundError('server', `Graph API answered ${what} with ${kind} instead of a page`, res.status);
}

/** The Graph cursor of the next page, only when Graph says there is one (`paging.next`). */
export function nextAfter(body: unknown): string | undefined {
  if (!isRecord(body) || !isRecord(body.paging) || body.paging.next === undefined) return undefined;
  return isRecord(body.paging.cursors) ? asString(body.paging.cursors.after) : undefined;
}

/**
 * The Graph API base every Meta handler calls when META_GRAPH_URL is not set: the one place to move
 * the version. v25.0 per API.md; Meta's version table (developers.facebook.com/documentation/
 * ads-commerce/marketing-api/marketing-api-changelog/versions) lists it as released 2026-02-18 and
 * expiring for the Marketing API on 2027-02-23, with v26.0 (2026-07-29) and v27.0 (2026-11-04) out.
 */
export const META_GRAPH_DEFAULT_URL = 'https://graph.facebook.com/v25.0';

/**
 * `appsecret_proof`: hex HMAC-SHA256 of the access token keyed with the app secret, sent with every
 * call when the app secret is known; apps with "Require App Secret" refuse calls without it
 * (the official facebook-nodejs-business-sdk computes it this way, src/objects/serverside/event-request.js).
 */
export function appSecretProof(accessToken: string, appSecret: string): string {
  return createHmac('sha256', appSecret).update(accessToken).digest('hex');
}

export interface GraphCall {
  method?: 'GET' | 'POST' | 'DELETE';
  /** Path under the versioned base, without a leading slash (`<lead id>`, `act_1/insights`). */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  accessToken: string;
  /** When known, every call carries appsecret_proof. */
  appSecret?: string;
  retry?: boolean;
  /**
   * Graph's throttling answers (HTTP 400 with code 4, 17, 32, 613 or 80000-range) handled by the client
   * as a 429: retried with backoff and, with the wait Meta's usage headers name, the integration's calls
   * paused (developers.facebook.com/docs/graph-api/overview/rate-limiting: "API requests made by a
   * throttled user or app will fail" until the count drops). Opt-in per caller.
   */
  throttleAware?: boolean;
}

/** OutboundRequest.throttled for Graph: a throttling error code, with the wait Meta's usage headers name. */
export function graphThrottleOf(answer: OutboundResponse): { waitMs?: number } | undefined {
  // by its code alone: is_transient marks other errors too (a Graph hiccup is a 5xx-like retry, not a pause)
  if (!isGraphThrottle({ code: graphErrorOf(answer.body)?.code })) return undefined;
  const waitMs = graphThrottleWaitMs(answer.headers);
  return waitMs === undefined ? {} : { waitMs };
}

/** A Graph call with the token in the Authorization header (never the URL) and appsecret_proof beside it. */
export function graphRequest(ctx: HandlerContext, call: GraphCall): Promise<OutboundResponse> {
  return ctx.http.request({
    method: call.method ?? 'GET',
    url: `${ctx.urls.metaGraph.replace(/\/+$/, '')}/${call.path}`,
    query: {
      ...call.query,
      ...(call.appSecret ? { appsecret_proof: appSecretProof(call.accessToken, call.appSecret) } : {}),
    },
    ...(call.body !== undefined ? { body: call.body } : {}),
    ...(call.retry !== undefined ? { retry: call.retry } : {}),
    ...(call.throttleAware ? { throttled: graphThrottleOf } : {}),
    headers: { authorization: `Bearer ${call.accessToken}` },
  });
}

/** The largest finite number found under `key` in a usage header's JSON, wherever it sits. */
function largestIn(raw: string | undefined, key: string): number | undefined {
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  let largest: number | undefined;
  const visit = (value: unknown, depth: number): void => {
    if (depth > 4) return;
    if (Array.isArray(value)) for (const item of value) visit(item, depth + 1);
    else if (isRecord(value))
      for (const [k, v] of Object.entries(value)) {
        if (k === key && typeof v === 'number' && Number.isFinite(v) && v > 0) largest = Math.max(largest ?? 0, v);
        else visit(v, depth + 1);
      }
  };
  visit(parsed, 0);
  return largest;
}

/**
 * How long Meta says a throttled caller must wait, from its usage headers
 * (developers.facebook.com/docs/graph-api/overview/rate-limiting): X-Business-Use-Case-Usage
 * `{"<business id>": [{ type, call_count, total_cputime, total_time, estimated_time_to_regain_access }]}`
 * in minutes, the Marketing API's X-Ad-Account-Usage `reset_time_duration` in seconds. The longest
 * of them (a day at most); undefined when neither names a wait.
 */
export function graphThrottleWaitMs(headers: Readonly<Record<string, string>> | undefined): number | undefined {
  if (!headers) return undefined;
  const minutes = largestIn(headers['x-business-use-case-usage'], 'estimated_time_to_regain_access');
  const seconds = largestIn(headers['x-ad-account-usage'], 'reset_time_duration');
  const waits = [minutes === undefined ? 0 : minutes * 60_000, seconds === undefined ? 0 : seconds * 1000];
  const wait = Math.max(...waits);
  return wait > 0 ? Math.min(wait, MAX_RETRY_AFTER_MS) : undefined;
}

/** A throttled Graph call as `rate_limited`, with the wait Retry-After or Meta's usage headers name. */
export function graphThrottled(err: OutboundError): OutboundError {
  return new OutboundError(
    'rate_limited',
    err.message,
    err.status,
    err.body,
    err.retryAfterMs ?? graphThrottleWaitMs(err.headers),
    err.headers,
  );
}

/**
 * Graph errors arrive as HTTP 400 whatever they mean; the sync pipeline reads the error kind. An
 * expired or invalid token (code 190/102) becomes `auth` (the integration is marked
 * INVALID_CREDENTIALS), throttling becomes `rate_limited` (retried later), the rest is unchanged.
 */
export function classifyGraphError(err: unknown): unknown {
  if (!(err instanceof OutboundError) || err.kind === 'auth') return err;
  const graph = graphErrorOf(err.body);
  if (isGraphAuthError(graph)) return new OutboundError('auth', err.message, err.status, err.body);
  // a 429 or a 400 carrying a throttling code (4, 17, 32, 613, 80000-range): waited out like a 429
  if (isGraphThrottle(graph) || err.kind === 'rate_limited') return graphThrottled(err);
  return err;
}
