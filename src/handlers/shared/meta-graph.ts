import { asBoolean, asNumber, asString, isRecord } from './json';

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

/** The Graph cursor of the next page, only when Graph says there is one (`paging.next`). */
export function nextAfter(body: unknown): string | undefined {
  if (!isRecord(body) || !isRecord(body.paging) || body.paging.next === undefined) return undefined;
  return isRecord(body.paging.cursors) ? asString(body.paging.cursors.after) : undefined;
}
