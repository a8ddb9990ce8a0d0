import type {
  HandshakeResponse,
  IntegrationConfig,
  VerificationKeys,
  VerifyResult,
  WebhookRequest,
} from '../integration-handler';
import { optionalConfigString } from './json';
import { header, hmacSha256Hex, safeEqual, safeEqualHex } from './signature';

// Meta's webhook scheme, shared by Meta Lead Ads and WhatsApp Cloud (the official WhatsApp SDK checks the same).

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;

/**
 * X-Hub-Signature-256: sha256=<hex HMAC-SHA256(raw body, app secret)>. The app secret of the config
 * is tried first, then the integration's webhook secrets (a previous app secret during a rotation).
 * Hex of either case is accepted (Meta sends lowercase); the legacy SHA-1 `X-Hub-Signature` is not.
 */
export function verifyHubSignature(req: WebhookRequest, keys: VerificationKeys): VerifyResult {
  const received = header(req.headers, 'x-hub-signature-256');
  if (!received) return { ok: false, reason: 'missing X-Hub-Signature-256 header' };
  const match = SIGNATURE.exec(received.trim());
  if (!match) return { ok: false, reason: 'malformed X-Hub-Signature-256 header (expected sha256=<64 hex digits>)' };
  const secrets = [optionalConfigString(keys.config, 'appSecret'), ...keys.webhookSecrets].filter(
    (s): s is string => !!s,
  );
  if (secrets.length === 0) return { ok: false, reason: 'no app secret configured' };
  // every candidate is compared, so timing does not reveal which secret matched
  let ok = false;
  for (const secret of secrets) ok = safeEqualHex(match[1], hmacSha256Hex(secret, req.rawBody)) || ok;
  return ok ? { ok: true } : { ok: false, reason: 'signature mismatch' };
}

/** Meta's GET subscription check: echo hub.challenge when the verify token matches. */
export function hubHandshake(
  query: Readonly<Record<string, string | undefined>>,
  config: IntegrationConfig,
): HandshakeResponse | null {
  const expected = optionalConfigString(config, 'verifyToken');
  const token = query['hub.verify_token'];
  const challenge = query['hub.challenge'];
  if (query['hub.mode'] !== 'subscribe' || !expected || token === undefined || !challenge) return null;
  return safeEqual(token, expected) ? { contentType: 'text/plain', body: challenge } : null;
}
