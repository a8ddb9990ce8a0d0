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

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The raw bytes first. GoHighLevel's own examples sign `JSON.stringify(body)`, so a body that
 * reached us with other whitespace or escaping only verifies re-serialized (fixtures/NOTES.md §5).
 */
function verifiesRawOrReserialized(raw: Buffer, check: (data: Buffer) => boolean): boolean {
  if (check(raw)) return true;
  const parsed = parseJson(raw);
  if (parsed === undefined) return false;
  const reserialized = Buffer.from(JSON.stringify(parsed), 'utf8');
  return !reserialized.equals(raw) && check(reserialized);
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
  let verified = false;
  let keyProblem: string | undefined;
  for (const [signature, field, type, check] of checks) {
    if (signature === undefined || verified) continue;
    const key = keyOf(config, field, type);
    if (typeof key === 'string') {
      keyProblem ??= key;
      continue;
    }
    const bytes = Buffer.from(signature, 'base64');
    verified = verifiesRawOrReserialized(req.rawBody, (data) => check(data, key, bytes));
  }
  if (verified) return checkTimestamp(req);
  return { ok: false, reason: keyProblem ?? 'signature mismatch' };
}
