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

// the prefix in any case (Meta writes it lower-case; a hand-made client may not)
const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

/** The config field Meta signs deliveries with; its previous value verifies during a change's grace period. */
export const META_VERIFICATION_FIELDS = ['appSecret'] as const;

/**
 * X-Hub-Signature-256: sha256=<hex HMAC-SHA256(raw body, app secret)>. Meta signs with the app
 * secret only (developers.facebook.com/docs/graph-api/webhooks/getting-started, "Validating
 * Payloads"), so only the config's app secret verifies, and the previous one while a change's grace
 * period lasts; the hub's own webhook secret is not Meta's key and never verifies. Hex of either
 * case is accepted (Meta sends lowercase); the legacy SHA-1 `X-Hub-Signature` is not.
 */
export function verifyHubSignature(req: WebhookRequest, keys: VerificationKeys): VerifyResult {
  const received = header(req.headers, 'x-hub-signature-256');
  if (!received) return { ok: false, reason: 'missing X-Hub-Signature-256 header' };
  const match = SIGNATURE.exec(received.trim());
  if (!match) return { ok: false, reason: 'malformed X-Hub-Signature-256 header (expected sha256=<64 hex digits>)' };
  const secrets = [optionalConfigString(keys.config, 'appSecret'), keys.previousSecrets?.appSecret].filter(
    (s): s is string => !!s,
  );
  if (secrets.length === 0) return { ok: false, reason: 'no app secret configured' };
  // every candidate is compared, so timing does not reveal which secret matched
  let ok = false;
  for (const secret of secrets) ok = safeEqualHex(match[1], hmacSha256Hex(secret, req.rawBody)) || ok;
  return ok ? { ok: true } : { ok: false, reason: 'signature mismatch' };
}

const HUB_PARAMETERS = new Set(['hub.mode', 'hub.verify_token', 'hub.challenge']);
/** Meta sends a number; anything beyond a short token is not a challenge worth echoing. */
const CHALLENGE = /^[A-Za-z0-9._~-]{1,256}$/;

/**
 * Meta's GET subscription check: echo hub.challenge when the verify token matches. Only the exact
 * request Meta sends is answered: hub.mode=subscribe, one hub.verify_token and one hub.challenge,
 * nothing else (a repeated parameter reaches us as undefined; see WebhooksController).
 */
export function hubHandshake(
  query: Readonly<Record<string, string | undefined>>,
  config: IntegrationConfig,
): HandshakeResponse | null {
  const expected = optionalConfigString(config, 'verifyToken');
  const token = query['hub.verify_token'];
  const challenge = query['hub.challenge'];
  if (Object.keys(query).some((name) => !HUB_PARAMETERS.has(name))) return null;
  if (query['hub.mode'] !== 'subscribe' || !expected || token === undefined || token === '') return null;
  if (challenge === undefined || !CHALLENGE.test(challenge)) return null;
  return safeEqual(token, expected) ? { contentType: 'text/plain', body: challenge } : null;
}
