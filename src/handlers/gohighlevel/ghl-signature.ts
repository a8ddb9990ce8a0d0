import { createPublicKey, createVerify, KeyObject, verify as verifySignature } from 'node:crypto';
import type { IntegrationConfig, VerifyResult, WebhookRequest } from '../integration-handler';
import { isRecord, optionalConfigString } from '../shared/json';
import { header } from '../shared/signature';
import { GHL_DEFAULT_ED25519_PUBLIC_KEY, GHL_DEFAULT_RSA_PUBLIC_KEY } from './ghl-public-key';

/**
 * How old a body `timestamp` may be. GoHighLevel's auth guide suggests "an acceptable time window
 * (e.g., 5 minutes)", but its Webhook Integration Guide retries a delivery answered 429 every
 * 10 minutes plus jitter, 6 times (about 70 minutes); whether a retry refreshes `timestamp` is not
 * documented. Genuine retries must not be refused as stale, and a replay inside the window is a
 * duplicate anyway (deliveries are deduplicated on `webhookId`, which the signature covers).
 */
export const GHL_MAX_DELIVERY_AGE_MS = 2 * 3600_000;
/** A timestamp ahead of our clock is only clock skew. */
export const GHL_MAX_CLOCK_SKEW_MS = 5 * 60_000;

export type GhlKeyType = 'rsa' | 'ed25519';

/** A PEM public key of the expected type, or the reason it is unusable (never the key itself). */
export function parseGhlPublicKey(pem: string, type: GhlKeyType): KeyObject | string {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    return 'is not a PEM public key';
  }
  return key.asymmetricKeyType === type ? key : `has key type ${key.asymmetricKeyType ?? 'unknown'}, expected ${type}`;
}

const defaults: Partial<Record<GhlKeyType, KeyObject>> = {};
function defaultKey(type: GhlKeyType): KeyObject {
  defaults[type] ??= createPublicKey(type === 'rsa' ? GHL_DEFAULT_RSA_PUBLIC_KEY : GHL_DEFAULT_ED25519_PUBLIC_KEY);
  return defaults[type];
}

/** The configured key of a type, else GoHighLevel's published one; a string when the configured one is unusable. */
function keyOf(config: IntegrationConfig, field: string, type: GhlKeyType): KeyObject | string {
  const pem = optionalConfigString(config, field);
  if (pem === undefined) return defaultKey(type);
  const key = parseGhlPublicKey(pem, type);
  return typeof key === 'string' ? `${field} ${key}` : key;
}

function rsaSha256(data: Buffer, key: KeyObject, signature: Buffer): boolean {
  try {
    return createVerify('SHA256').update(data).verify(key, signature);
  } catch {
    return false;
  }
}

function ed25519(data: Buffer, key: KeyObject, signature: Buffer): boolean {
  try {
    return verifySignature(null, data, key, signature);
  } catch {
    return false;
  }
}

/**
 * The body as the route parsed it: Fastify's JSON parser (secure-json-parse) drops a leading UTF-8 BOM,
 * JSON.parse refuses one. Parsed alike, a BOM neither hides the body's `timestamp` from the replay
 * check nor keeps the re-serialized form (which GoHighLevel's examples sign) from verifying.
 */
function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8').replace(/^\uFEFF/, '')) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * What a signature may be over: the raw bytes first. GoHighLevel's own examples sign
 * `JSON.stringify(body)`, so a body that reached us with other whitespace or escaping only verifies
 * re-serialized (fixtures/NOTES.md §5). The body is parsed at most once per delivery, however many
 * signature values are tried: a sender of junk headers does not multiply the parsing of a large body.
 */
function signedForms(raw: Buffer): () => Buffer[] {
  let forms: Buffer[] | undefined;
  return () => {
    if (forms) return forms;
    const parsed = parseJson(raw);
    const reserialized = parsed === undefined ? undefined : Buffer.from(JSON.stringify(parsed), 'utf8');
    forms = reserialized === undefined || reserialized.equals(raw) ? [] : [reserialized];
    return forms;
  };
}

/** Epoch ms of a body `timestamp`: ISO-8601 as documented; numbers as epoch seconds or ms. */
function timestampMs(value: unknown): number | undefined {
  if (typeof value === 'string') return Date.parse(value);
  if (typeof value === 'number' && Number.isFinite(value)) return value < 1e11 ? value * 1000 : value;
  return undefined;
}

/** Replay protection: only once the signature holds is the body's `timestamp` trustworthy. */
function checkTimestamp(req: WebhookRequest): VerifyResult {
  const body = parseJson(req.rawBody);
  if (!isRecord(body) || body.timestamp === undefined || body.timestamp === null) return { ok: true };
  const at = timestampMs(body.timestamp);
  if (at === undefined || Number.isNaN(at)) return { ok: false, reason: 'invalid timestamp' };
  const age = req.receivedAt.getTime() - at;
  if (age > GHL_MAX_DELIVERY_AGE_MS || age < -GHL_MAX_CLOCK_SKEW_MS) return { ok: false, reason: 'stale timestamp' };
  return { ok: true };
}

/** Signature values a header may carry at once: base64 has no comma or space. */
const MAX_SIGNATURE_VALUES = 4;

/**
 * The values of a signature header. A header sent twice (a proxy's copy, a retry through another hop)
 * reaches us joined with ", " (webhooks.controller.ts), and Node's base64 decoder stops at the first
 * value's padding: only the first value was ever checked, so a delivery whose valid signature came
 * second was refused. Each value is tried, a bounded number of them.
 */
function signatureValues(header: string): string[] {
  return header
    .split(/[\s,]+/)
    .filter((value) => value.length > 0)
    .slice(0, MAX_SIGNATURE_VALUES);
}

/**
 * `x-ghl-signature` (Ed25519, current) and `x-wh-signature` (RSA-SHA256, legacy, being retired),
 * each with the configured key or GoHighLevel's published one (ghl-public-key.ts). OAuth app
 * webhooks may carry both (ProviderOutboundMessage doc); a delivery is GoHighLevel's when either
 * verifies: both keys are GoHighLevel's, so accepting either adds no forger, and it keeps deliveries
 * flowing across a key or header change on GoHighLevel's side.
 */
export function verifyGhlDelivery(req: WebhookRequest, config: IntegrationConfig): VerifyResult {
  const ghlSignature = header(req.headers, 'x-ghl-signature');
  const whSignature = header(req.headers, 'x-wh-signature');
  if (ghlSignature === undefined && whSignature === undefined)
    return { ok: false, reason: 'missing x-wh-signature / x-ghl-signature header' };
  const checks: Array<
    [string | undefined, string, GhlKeyType, (data: Buffer, key: KeyObject, sig: Buffer) => boolean]
  > = [
    [ghlSignature, 'webhookEd25519PublicKey', 'ed25519', ed25519],
    [whSignature, 'webhookPublicKey', 'rsa', rsaSha256],
  ];
  const reserialized = signedForms(req.rawBody);
  let verified = false;
  let keyProblem: string | undefined;
  for (const [signature, field, type, check] of checks) {
    if (signature === undefined || verified) continue;
    const key = keyOf(config, field, type);
    if (typeof key === 'string') {
      keyProblem ??= key;
      continue;
    }
    const values = signatureValues(signature).map((value) => Buffer.from(value, 'base64'));
    verified =
      values.some((bytes) => check(req.rawBody, key, bytes)) ||
      reserialized().some((data) => values.some((bytes) => check(data, key, bytes)));
  }
  if (verified) return checkTimestamp(req);
  return { ok: false, reason: keyProblem ?? 'signature mismatch' };
}
