import { createPublicKey, createVerify, KeyObject, verify as verifySignature } from 'node:crypto';
import type { IntegrationConfig, VerifyResult, WebhookRequest } from '../integration-handler';
import { isRecord, optionalConfigString } from '../shared/json';
import { header } from '../shared/signature';
import { GHL_DEFAULT_RSA_PUBLIC_KEY } from './ghl-public-key';

/** GoHighLevel suggests rejecting deliveries whose body `timestamp` is further than 5 minutes off. */
export const GHL_TIMESTAMP_TOLERANCE_MS = 5 * 60_000;

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

let defaultRsaKey: KeyObject | undefined;
function defaultKey(): KeyObject {
  defaultRsaKey ??= createPublicKey(GHL_DEFAULT_RSA_PUBLIC_KEY);
  return defaultRsaKey;
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
  if (Math.abs(req.receivedAt.getTime() - at) > GHL_TIMESTAMP_TOLERANCE_MS)
    return { ok: false, reason: 'stale timestamp' };
  return { ok: true };
}

/**
 * `x-ghl-signature` (Ed25519, current) when it is sent and the integration configured the Ed25519
 * key; otherwise `x-wh-signature` (RSA-SHA256, legacy) with the configured or published RSA key.
 * Like GoHighLevel's SDK, a present-and-checkable x-ghl-signature does not fall back to the other.
 */
export function verifyGhlDelivery(req: WebhookRequest, config: IntegrationConfig): VerifyResult {
  const ghlSignature = header(req.headers, 'x-ghl-signature');
  const whSignature = header(req.headers, 'x-wh-signature');
  const edPem = optionalConfigString(config, 'webhookEd25519PublicKey');
  let verified: boolean;
  if (ghlSignature !== undefined && edPem !== undefined) {
    const key = parseGhlPublicKey(edPem, 'ed25519');
    if (typeof key === 'string') return { ok: false, reason: `webhookEd25519PublicKey ${key}` };
    const signature = Buffer.from(ghlSignature, 'base64');
    verified = verifiesRawOrReserialized(req.rawBody, (data) => ed25519(data, key, signature));
  } else if (whSignature !== undefined) {
    const pem = optionalConfigString(config, 'webhookPublicKey');
    const key = pem === undefined ? defaultKey() : parseGhlPublicKey(pem, 'rsa');
    if (typeof key === 'string') return { ok: false, reason: `webhookPublicKey ${key}` };
    const signature = Buffer.from(whSignature, 'base64');
    verified = verifiesRawOrReserialized(req.rawBody, (data) => rsaSha256(data, key, signature));
  } else if (ghlSignature !== undefined) {
    return { ok: false, reason: 'x-ghl-signature needs webhookEd25519PublicKey in the integration config' };
  } else {
    return { ok: false, reason: 'missing x-wh-signature / x-ghl-signature header' };
  }
  return verified ? checkTimestamp(req) : { ok: false, reason: 'signature mismatch' };
}
