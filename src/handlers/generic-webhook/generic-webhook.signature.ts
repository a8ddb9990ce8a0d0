/**
 * Signature checks of the generic webhook, one per scheme (generic-webhook.config.ts says which
 * sender signs how). All of them hash the exact raw bytes and compare in constant time; every
 * candidate secret and every signature in a header is compared, so timing does not tell which matched.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { VerifyResult, WebhookRequest } from '../integration-handler';
import { header } from '../shared/signature';
import { GenericWebhookConfig, SignatureEncoding, standardWebhooksKey } from './generic-webhook.config';

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;
// a SHA-256 digest in base64 (standard or url-safe), padded or not
const BASE64_SHA256 = /^[A-Za-z0-9+/_-]{43}=?$/;
const UNIX_SECONDS = /^\d{1,12}$/;
/** Standard Webhooks ids are signed as `id.timestamp.body`: a dot inside the id would let one string mean two. */
const STANDARD_ID = /^[^\s.]{1,256}$/;

/** The secrets that may have signed: the one the sender generated, else the integration's (current, then previous). */
export function candidateSecrets(config: GenericWebhookConfig, webhookSecrets: readonly string[]): string[] {
  return config.signingSecret ? [config.signingSecret] : [...webhookSecrets];
}

function hmac(key: string | Buffer, ...parts: Array<string | Buffer>): Buffer {
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** A received digest (hex or base64, as the template says) as bytes; undefined when it is neither. */
function decodeDigest(text: string, encoding: SignatureEncoding): Buffer | undefined {
  if (encoding === 'hex') return HEX_SHA256.test(text) ? Buffer.from(text, 'hex') : undefined;
  return BASE64_SHA256.test(text) ? Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64') : undefined;
}

function anyMatches(received: readonly Buffer[], expected: readonly Buffer[]): boolean {
  let matched = false;
  for (const r of received)
    for (const e of expected) if (r.length === e.length && timingSafeEqual(r, e)) matched = true;
  return matched;
}

/** Unix seconds within the tolerance of the time of receipt (a replayed capture goes stale). */
function checkTimestamp(value: string | undefined, name: string, req: WebhookRequest, tolerance: number): VerifyResult {
  if (!value) return { ok: false, reason: `missing ${name} header` };
  if (!UNIX_SECONDS.test(value)) return { ok: false, reason: `${name} is not Unix seconds` };
  const skew = Number(value) - req.receivedAt.getTime() / 1000;
  if (skew < -tolerance) return { ok: false, reason: `timestamp is more than ${tolerance}s old` };
  if (skew > tolerance) return { ok: false, reason: `timestamp is more than ${tolerance}s in the future` };
  return { ok: true };
}

/** The hub's scheme: `sha256=<HMAC(secret, timestamp + "." + body)>` and a signed Unix-seconds timestamp. */
function verifyTimestamped(req: WebhookRequest, config: GenericWebhookConfig, secrets: string[]): VerifyResult {
  const signature = header(req.headers, config.signatureHeader)?.trim();
  if (!signature) return { ok: false, reason: `missing ${config.signatureHeader} header` };
  const timestamp = header(req.headers, config.timestampHeader)?.trim();
  const fresh = checkTimestamp(timestamp, config.timestampHeader, req, config.toleranceSeconds);
  if (!fresh.ok || timestamp === undefined) return fresh;
  const digest = /^sha256=(.+)$/i.exec(signature)?.[1];
  const received = digest === undefined ? undefined : decodeDigest(digest, config.signatureEncoding);
  if (!received) return { ok: false, reason: `${config.signatureHeader} is not sha256=<${config.signatureEncoding}>` };
  const expected = secrets.map((secret) => hmac(secret, `${timestamp}.`, req.rawBody));
  return anyMatches([received], expected) ? { ok: true } : { ok: false, reason: 'signature does not match' };
}

/** A body-only HMAC with an optional `sha256=` prefix (Typeform-Signature: sha256=<base64>). No timestamp is signed. */
function verifyBody(req: WebhookRequest, config: GenericWebhookConfig, secrets: string[]): VerifyResult {
  const signature = header(req.headers, config.signatureHeader)?.trim();
  if (!signature) return { ok: false, reason: `missing ${config.signatureHeader} header` };
  const received = decodeDigest(signature.replace(/^sha256=/i, ''), config.signatureEncoding);
  if (!received)
    return { ok: false, reason: `${config.signatureHeader} is not a ${config.signatureEncoding} SHA-256 digest` };
  const expected = secrets.map((secret) => hmac(secret, req.rawBody));
  return anyMatches([received], expected) ? { ok: true } : { ok: false, reason: 'signature does not match' };
}

/** The three Standard Webhooks headers, under the configured names or (by default) Svix's `svix-*` twins. */
export function standardHeaders(
  req: WebhookRequest,
  config: GenericWebhookConfig,
): { id?: string; timestamp?: string; signature?: string } {
  const read = (name: string, svix: string) =>
    (config.defaultHeaders ? header(req.headers, name, svix) : header(req.headers, name))?.trim();
  return {
    id: read(config.eventIdHeader, 'svix-id'),
    timestamp: read(config.timestampHeader, 'svix-timestamp'),
    signature: read(config.signatureHeader, 'svix-signature'),
  };
}

/**
 * Standard Webhooks: HMAC-SHA256 of `${webhook-id}.${webhook-timestamp}.${body}` with the secret's
 * base64 bytes; the header is a space-delimited list of `v1,<base64>` (several during a sender's key
 * rotation; `v1a` asymmetric signatures are not supported and skipped).
 */
function verifyStandard(req: WebhookRequest, config: GenericWebhookConfig, secrets: string[]): VerifyResult {
  const { id, timestamp, signature } = standardHeaders(req, config);
  if (!id) return { ok: false, reason: `missing ${config.eventIdHeader} header` };
  if (!STANDARD_ID.test(id)) return { ok: false, reason: `${config.eventIdHeader} is not a message id` };
  if (!signature) return { ok: false, reason: `missing ${config.signatureHeader} header` };
  const fresh = checkTimestamp(timestamp, config.timestampHeader, req, config.toleranceSeconds);
  if (!fresh.ok || timestamp === undefined) return fresh;
  const received = signature
    .split(' ')
    .map((part) => /^v1,(.+)$/.exec(part.trim())?.[1])
    .map((digest) => (digest === undefined ? undefined : decodeDigest(digest, 'base64')))
    .filter((digest): digest is Buffer => digest !== undefined);
  if (received.length === 0) return { ok: false, reason: `${config.signatureHeader} has no v1,<base64> signature` };
  const expected = secrets.map((secret) => hmac(standardWebhooksKey(secret), `${id}.${timestamp}.`, req.rawBody));
  return anyMatches(received, expected) ? { ok: true } : { ok: false, reason: 'signature does not match' };
}

export function verifyGenericDelivery(
  req: WebhookRequest,
  config: GenericWebhookConfig,
  webhookSecrets: readonly string[],
): VerifyResult {
  const secrets = candidateSecrets(config, webhookSecrets);
  if (secrets.length === 0) return { ok: false, reason: 'integration has no webhook secret' };
  switch (config.signatureScheme) {
    case 'standard-webhooks':
      return verifyStandard(req, config, secrets);
    case 'hmac-sha256-body':
      return verifyBody(req, config, secrets);
    default:
      return verifyTimestamped(req, config, secrets);
  }
}
