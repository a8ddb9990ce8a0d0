import { createHmac } from 'node:crypto';
import { OutboundError, OutboundResponse } from '../../common/outbound/http-client';
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
    headers: { authorization: `Bearer ${call.accessToken}` },
  });
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
  if (isGraphThrottle(graph))
    return new OutboundError('rate_limited', err.message, err.status, err.body, err.retryAfterMs);
  return err;
}
