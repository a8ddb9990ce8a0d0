/**
 * The hostile-input corpus against the public webhook endpoints (API.md "Webhooks"), as data: what
 * each case sends and which answers are acceptable. test/e2e/webhooks-hostile.e2e-spec.ts runs it.
 * This module: the shared vocabulary (endpoints, signing, bodies); the cases are in the modules
 * beside it, by concern.
 */
import { createHmac, createSign, generateKeyPairSync } from 'node:crypto';
import { META_CONFIG, WHATSAPP_CONFIG } from '../factories';
import { metaLeadgen } from '../webhooks';

export const MAX_BYTES = 1024 * 1024;
export const GOOGLE_KEY = 'hostile-google-key-0123456789';
export const GOOGLE_KEY_2 = 'other-tenant-google-key-9876';
export const META_PATH = '/api/webhooks/meta-lead-ads';
export const WHATSAPP_PATH = '/api/webhooks/whatsapp-cloud';
export const GHL_PATH = '/api/webhooks/gohighlevel';
export const LINKEDIN_PATH = '/api/webhooks/linkedin-lead-gen';
/** Every deadline a single request of the corpus must meet: far above normal latency, far below a hang. */
export const REQUEST_DEADLINE_MS = 8000;
export const META_2 = {
  pageId: '222333444555',
  appSecret: 'second-page-app-secret',
  pageAccessToken: 'EAAG-second-page-token',
  verifyToken: 'second-verify-token',
};
export const GENERIC_CONFIG = { mapping: { email: '/email', fullName: '/name' }, externalIdPointer: '/id' };

/** The code each status must carry (API.md "Conventions"). */
export const CODES: Readonly<Record<number, readonly string[]>> = {
  400: ['VALIDATION_FAILED'],
  401: ['WEBHOOK_SIGNATURE_INVALID'],
  403: ['FORBIDDEN'],
  404: ['NOT_FOUND'],
  409: ['INTEGRATION_NOT_ACTIVE'],
  413: ['PAYLOAD_TOO_LARGE'],
  415: ['UNSUPPORTED_MEDIA_TYPE'],
  429: ['RATE_LIMIT_EXCEEDED'],
};

export type Body = string | Buffer;

export interface Ctx {
  port: number;
  google: { path: string; webhookId: string };
  google2: { path: string };
  generic: { path: string; webhookId: string; secret: string };
  inactiveGeneric: { path: string; secret: string };
}

/** An ordinary HTTP request, sent with supertest exactly as given (bytes and headers). */
export interface Delivery {
  method?: 'POST' | 'GET' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: Body;
  /** Default application/json; null sends no Content-Type at all. */
  contentType?: string | null;
  headers?: Record<string, string>;
}

/** Bytes written to a socket as they are: framing the HTTP client libraries would not produce. */
export interface RawDelivery {
  raw: Buffer;
  /** Half-close after writing (a client that stops mid-body). */
  halfClose?: boolean;
}

export type Category =
  | 'malformed-json'
  | 'deep-nesting'
  | 'scalar-body'
  | 'wrong-types'
  | 'huge-body'
  | 'invalid-utf8'
  | 'prototype-keys'
  | 'bad-signature'
  | 'replay'
  | 'content-type'
  | 'routing'
  | 'framing';

export interface HostileCase {
  category: Category;
  name: string;
  build(ctx: Ctx): Delivery | RawDelivery;
  /** Acceptable statuses (all 4xx). */
  expect: readonly number[];
  /** Carries a correct signature/key (it still must not be stored unless answered 200). */
  signed?: boolean;
  /** Rejected by Node's HTTP parser before the application sees a request: status only. */
  transport?: boolean;
}

/** Correctly signed deliveries the handler may find odd: 200 (stored or ignored) or 4xx, never 5xx. */
export interface SignedOddCase {
  name: string;
  build(ctx: Ctx): Delivery;
  /** Acceptable statuses; default: 200 or any 4xx. */
  expect?: readonly number[];
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  text: string;
}

// ---------------------------------------------------------------- signing helpers

export function metaSig(body: Body, secret = META_CONFIG.appSecret): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function genericSig(body: Body, secret: string, timestamp: number | string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

export const now = (): number => Math.floor(Date.now() / 1000);

export function genericHeaders(body: Body, secret: string, timestamp: number | string = now()): Record<string, string> {
  return { 'x-webhook-signature': genericSig(body, secret, timestamp), 'x-webhook-timestamp': String(timestamp) };
}

let uniq = 0;
export const nextId = (prefix: string): string => `${prefix}-${Date.now().toString(36)}-${++uniq}`;

export function genericBody(id = nextId('gen'), extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ id, email: `${id}@example.com`, name: 'Hostile Corpus', ...extra });
}

/** A JSON object of exactly `size` bytes: `{<prefix>"pad":"xxx…"}`. */
export function padded(prefix: string, size: number): string {
  const head = `{${prefix}"pad":"`;
  const tail = '"}';
  return `${head}${'x'.repeat(size - head.length - tail.length)}${tail}`;
}

export const deepArray = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
export const deepObject = (depth: number, leaf = '1'): string => `${'{"a":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`;
export const metaEnvelope = (entry: string): string => `{"object":"page","entry":[${entry}]}`;
export const metaEntry = (extra = '"changes":[]'): string =>
  metaEnvelope(`{"id":"${META_CONFIG.pageId}","time":1438292065,${extra}}`);

// ---------------------------------------------------------------- per-endpoint delivery helpers

export type Endpoint = 'google' | 'meta' | 'generic';
export const ENDPOINTS: readonly Endpoint[] = ['google', 'meta', 'generic'];

/** The body sent to an endpoint, unsigned unless `sign` (Meta: X-Hub-Signature-256; generic: the hub's scheme). */
export function to(
  endpoint: Endpoint,
  ctx: Ctx,
  body: Body,
  options: { sign?: boolean; contentType?: string | null; headers?: Record<string, string> } = {},
): Delivery {
  const signature =
    options.sign && endpoint === 'meta'
      ? { 'x-hub-signature-256': metaSig(body) }
      : options.sign && endpoint === 'generic'
        ? genericHeaders(body, ctx.generic.secret)
        : {};
  const path = endpoint === 'google' ? ctx.google.path : endpoint === 'meta' ? META_PATH : ctx.generic.path;
  return { path, body, contentType: options.contentType, headers: { ...signature, ...options.headers } };
}

/** Bytes as given: strings as UTF-8, number arrays as raw (invalid) bytes. */
export const bytes = (...parts: Array<string | number[]>): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

/** A Meta leadgen delivery for the first page with a fresh lead id. */
export const metaBody = (): string => metaLeadgen(META_CONFIG.pageId, [nextId('sig')]);

/** The corpus's GoHighLevel integration verifies x-wh-signature with this key (its config's webhookPublicKey). */
const GHL_KEYS = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const GHL_PUBLIC_KEY_PEM = GHL_KEYS.publicKey.export({ type: 'spki', format: 'pem' }).toString();

/** x-wh-signature: base64 RSA-SHA256 over the raw body (GoHighLevel's legacy scheme). */
export function ghlSig(body: Body): string {
  return createSign('SHA256').update(body).sign(GHL_KEYS.privateKey, 'base64');
}

/** X-Hub-Signature-256 with the WhatsApp integration's app secret. */
export function whatsappSig(body: Body): string {
  return metaSig(body, WHATSAPP_CONFIG.appSecret);
}

/** One WhatsApp delivery for the corpus's number holding `messages` inbound texts and `statuses` statuses. */
export function whatsappBulk(counts: { messages?: number; statuses?: number }, tag = nextId('b')): string {
  const messages = Array.from(
    { length: counts.messages ?? 0 },
    (_, i) =>
      `{"from":"1650555${i}","id":"wamid.${tag}.m${i}","timestamp":"1749416383","type":"text","text":{"body":"x"}}`,
  );
  const statuses = Array.from(
    { length: counts.statuses ?? 0 },
    (_, i) => `{"id":"wamid.${tag}.s${i}","status":"delivered","timestamp":"1750263773","recipient_id":"1"}`,
  );
  const value = [
    '"messaging_product":"whatsapp"',
    `"metadata":{"display_phone_number":"15550783881","phone_number_id":"${WHATSAPP_CONFIG.phoneNumberId}"}`,
    ...(messages.length ? [`"messages":[${messages.join(',')}]`] : []),
    ...(statuses.length ? [`"statuses":[${statuses.join(',')}]`] : []),
  ].join(',');
  return `{"object":"whatsapp_business_account","entry":[{"id":"${WHATSAPP_CONFIG.wabaId}","changes":[{"value":{${value}},"field":"messages"}]}]}`;
}
