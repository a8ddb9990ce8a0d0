/**
 * Reliability: a hostile-input corpus against the public webhook endpoints (API.md "Webhooks").
 *
 * Every hostile case must get a 4xx with the API.md error shape (never a 5xx), the process must stay
 * up, and no request that was not correctly signed may leave a row in webhook_events. A few cases
 * are correctly signed but odd for the handler (null body, deep nesting, NUL characters …): those
 * may be stored (200) or refused (4xx), but never answered 5xx; only their own ids may be stored.
 */
import { createHash, createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { createIntegration, createSubAccount, META_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, googleLead, metaLeadgen } from '../support/webhooks';

const MAX_BYTES = 1024 * 1024;
const GOOGLE_KEY = 'hostile-google-key-0123456789';
const GOOGLE_KEY_2 = 'other-tenant-google-key-9876';
const META_PATH = '/api/webhooks/meta-lead-ads';
const META_2 = {
  pageId: '222333444555',
  appSecret: 'second-page-app-secret',
  pageAccessToken: 'EAAG-second-page-token',
  verifyToken: 'second-verify-token',
};
const GENERIC_CONFIG = { mapping: { email: '/email', fullName: '/name' }, externalIdPointer: '/id' };

/** The code each status must carry (API.md "Conventions"). */
const CODES: Readonly<Record<number, readonly string[]>> = {
  400: ['VALIDATION_FAILED'],
  401: ['WEBHOOK_SIGNATURE_INVALID'],
  403: ['FORBIDDEN'],
  404: ['NOT_FOUND'],
  409: ['INTEGRATION_NOT_ACTIVE'],
  413: ['PAYLOAD_TOO_LARGE'],
  415: ['UNSUPPORTED_MEDIA_TYPE'],
  429: ['RATE_LIMIT_EXCEEDED'],
};

type Body = string | Buffer;

interface Ctx {
  port: number;
  google: { path: string; webhookId: string };
  google2: { path: string };
  generic: { path: string; webhookId: string; secret: string };
  inactiveGeneric: { path: string; secret: string };
}

/** An ordinary HTTP request, sent with supertest exactly as given (bytes and headers). */
interface Delivery {
  method?: 'POST' | 'GET' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: Body;
  /** Default application/json; null sends no Content-Type at all. */
  contentType?: string | null;
  headers?: Record<string, string>;
}

/** Bytes written to a socket as they are: framing the HTTP client libraries would not produce. */
interface RawDelivery {
  raw: Buffer;
  /** Half-close after writing (a client that stops mid-body). */
  halfClose?: boolean;
}

type Category =
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

interface HostileCase {
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
interface SignedOddCase {
  name: string;
  build(ctx: Ctx): Delivery;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  text: string;
}

// ---------------------------------------------------------------- signing helpers

function metaSig(body: Body, secret = META_CONFIG.appSecret): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function genericSig(body: Body, secret: string, timestamp: number | string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

const now = (): number => Math.floor(Date.now() / 1000);

function genericHeaders(body: Body, secret: string, timestamp: number | string = now()): Record<string, string> {
  return { 'x-webhook-signature': genericSig(body, secret, timestamp), 'x-webhook-timestamp': String(timestamp) };
}

let uniq = 0;
const nextId = (prefix: string): string => `${prefix}-${Date.now().toString(36)}-${++uniq}`;

function genericBody(id = nextId('gen'), extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ id, email: `${id}@example.com`, name: 'Hostile Corpus', ...extra });
}

/** A JSON object of exactly `size` bytes: `{<prefix>"pad":"xxx…"}`. */
function padded(prefix: string, size: number): string {
  const head = `{${prefix}"pad":"`;
  const tail = '"}';
  return `${head}${'x'.repeat(size - head.length - tail.length)}${tail}`;
}

const deepArray = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const deepObject = (depth: number, leaf = '1'): string => `${'{"a":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`;
const metaEnvelope = (entry: string): string => `{"object":"page","entry":[${entry}]}`;
const metaEntry = (extra = '"changes":[]'): string =>
  metaEnvelope(`{"id":"${META_CONFIG.pageId}","time":1438292065,${extra}}`);

// ---------------------------------------------------------------- per-endpoint delivery helpers

type Endpoint = 'google' | 'meta' | 'generic';
const ENDPOINTS: readonly Endpoint[] = ['google', 'meta', 'generic'];

/** The body sent to an endpoint, unsigned unless `sign` (Meta: X-Hub-Signature-256; generic: the hub's scheme). */
function to(
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

// ---------------------------------------------------------------- raw HTTP (framing cases)

function rawRequest(path: string, headers: ReadonlyArray<[string, string]>, body: Buffer = Buffer.alloc(0)): Buffer {
  const head = [
    `POST ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Connection: close',
    ...headers.map(([k, v]) => `${k}: ${v}`),
  ].join('\r\n');
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), body]);
}

/** The first response on a fresh connection, or null when the server closed it without answering. */
function rawExchange(port: number, delivery: RawDelivery, timeoutMs = 5000): Promise<Answer | null> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parseRawResponse(Buffer.concat(chunks)));
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (parseRawResponse(Buffer.concat(chunks), true)) finish();
    });
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', finish);
    socket.write(delivery.raw, () => {
      if (delivery.halfClose) socket.end();
    });
  });
}

function parseRawResponse(data: Buffer, completeOnly = false): Answer | null {
  const split = data.indexOf('\r\n\r\n');
  if (split < 0) return null;
  const [statusLine, ...lines] = data.subarray(0, split).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  if (!status) return null;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
  const rest = data.subarray(split + 4);
  if (completeOnly && (length === undefined || rest.length < length)) return null;
  const text = rest.subarray(0, length ?? rest.length).toString('utf8');
  let body: unknown = {};
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: asserted on below
  }
  return { status, headers, body, text };
}

// ---------------------------------------------------------------- the corpus

const cases: HostileCase[] = [];
const add = (c: HostileCase): void => {
  cases.push(c);
};

// 1. malformed JSON (truncated, not JSON at all, two documents …) → 400, also when signed over the bytes
const MALFORMED: ReadonlyArray<[string, Body]> = [
  ['a lone brace', '{'],
  ['an unterminated key', '{"google_key":'],
  ['a truncated Google lead', googleLead(GOOGLE_KEY, 'trunc-1', { name: 'Cut' }).slice(0, 97)],
  ['a truncated Meta delivery', metaLeadgen(META_CONFIG.pageId, ['1']).slice(0, 60)],
  ['a trailing comma', '{"a":1,}'],
  ['single quotes', "{'google_key':'x'}"],
  ['NaN', 'NaN'],
  ['undefined', 'undefined'],
  ['a leading-zero number', '{"a":01}'],
  ['a bad escape', '{"a":"\\x41"}'],
  ['a raw control character in a string', '{"a":"line\nbreak"}'],
  ['two JSON documents', '{"a":1}{"b":2}'],
  ['JSON followed by garbage', '{"a":1} trailing'],
  ['a comment', '{/* hi */"a":1}'],
  ['an empty body', ''],
  ['whitespace only', ' \r\n\t '],
  ['an unclosed string', '{"a":"never ends'],
  ['a gzip body declared as JSON', gzipSync(Buffer.from(JSON.stringify({ google_key: GOOGLE_KEY })))],
];
for (const [name, body] of MALFORMED) {
  add({ category: 'malformed-json', name: `google: ${name}`, build: (ctx) => to('google', ctx, body), expect: [400] });
}
for (const [name, body] of MALFORMED.slice(0, 10)) {
  add({
    category: 'malformed-json',
    name: `meta (signed over the bytes): ${name}`,
    build: (ctx) => to('meta', ctx, body, { sign: true }),
    expect: [400],
    signed: true,
  });
  add({
    category: 'malformed-json',
    name: `generic (signed over the bytes): ${name}`,
    build: (ctx) => to('generic', ctx, body, { sign: true }),
    expect: [400],
    signed: true,
  });
}

// 2. deep nesting (10k+) — parsed without a stack overflow, then refused for the missing key/signature/route
const DEEP: ReadonlyArray<[string, string, Record<Endpoint, number>]> = [
  ['10k nested arrays', deepArray(10_000), { google: 401, meta: 404, generic: 401 }],
  ['100k nested arrays', deepArray(100_000), { google: 401, meta: 404, generic: 401 }],
  ['10k nested objects', deepObject(10_000), { google: 401, meta: 404, generic: 401 }],
  ['50k nested objects', deepObject(50_000), { google: 401, meta: 404, generic: 401 }],
  ['10k nested arrays, unclosed', '['.repeat(10_000), { google: 400, meta: 400, generic: 400 }],
  [
    'a wrong google_key beside 20k nested objects',
    `{"google_key":"wrong","x":${deepObject(20_000)}}`,
    { google: 401, meta: 404, generic: 401 },
  ],
  [
    'a Meta page entry holding 20k nested arrays',
    metaEntry(`"changes":${deepArray(20_000)}`),
    { google: 401, meta: 401, generic: 401 },
  ],
];
for (const [name, body, expected] of DEEP) {
  for (const endpoint of ENDPOINTS)
    add({
      category: 'deep-nesting',
      name: `${endpoint}: ${name}`,
      build: (ctx) => to(endpoint, ctx, body),
      expect: [expected[endpoint]],
    });
}
add({
  category: 'deep-nesting',
  name: 'meta (signed): a __proto__ key 10k levels down',
  build: (ctx) => to('meta', ctx, deepObject(10_000, '{"__proto__":{"polluted":true}}'), { sign: true }),
  expect: [400],
  signed: true,
});

// 3. bodies that are JSON but not objects
const SCALARS = ['null', '[]', '"str"', '123', 'true', '{}', '-0', '1e999', '[{"google_key":"x"}]'];
for (const body of SCALARS) {
  add({ category: 'scalar-body', name: `google: ${body}`, build: (ctx) => to('google', ctx, body), expect: [401] });
  // the provider-level URL routes by page id: none in the body → unknown, signed or not
  add({
    category: 'scalar-body',
    name: `meta (signed): ${body}`,
    build: (ctx) => to('meta', ctx, body, { sign: true }),
    expect: [404],
    signed: true,
  });
  add({
    category: 'scalar-body',
    name: `generic (unsigned): ${body}`,
    build: (ctx) => to('generic', ctx, body),
    expect: [401],
  });
}

// 4. wrong types where the verification reads the body
const lead = (key: unknown): string => {
  const base = JSON.parse(googleLead(GOOGLE_KEY, nextId('types'), { name: 'Typed' })) as Record<string, unknown>;
  return JSON.stringify({ ...base, google_key: key });
};
const GOOGLE_KEY_TYPES: ReadonlyArray<[string, () => string]> = [
  ['google_key as a number', () => lead(123456)],
  ['google_key as an array holding the key', () => lead([GOOGLE_KEY])],
  ['google_key as an object', () => lead({ value: GOOGLE_KEY })],
  ['google_key as a query operator object', () => lead({ $ne: '' })],
  ['google_key null', () => lead(null)],
  ['google_key true', () => lead(true)],
  ['google_key empty', () => lead('')],
  ['google_key upper-cased', () => lead(GOOGLE_KEY.toUpperCase())],
  ['google_key padded with spaces', () => lead(` ${GOOGLE_KEY} `)],
  ['google_key with a NUL appended', () => lead(`${GOOGLE_KEY}\u0000`)],
  ['google_key truncated by one character', () => lead(GOOGLE_KEY.slice(0, -1))],
  ['google_key twice over', () => lead(GOOGLE_KEY + GOOGLE_KEY)],
  [
    'google_key missing, the key nested elsewhere',
    () => JSON.stringify({ lead_id: 'n1', data: { google_key: GOOGLE_KEY } }),
  ],
  [
    'google_key duplicated, the wrong one last',
    () => `{"google_key":"${GOOGLE_KEY}","lead_id":"dup","google_key":"wrong"}`,
  ],
  ["another tenant's google_key", () => lead(GOOGLE_KEY_2)],
];
for (const [name, body] of GOOGLE_KEY_TYPES)
  add({ category: 'wrong-types', name: `google: ${name}`, build: (ctx) => to('google', ctx, body()), expect: [401] });
add({
  category: 'wrong-types',
  name: "google: the right key sent to another tenant's URL",
  build: (ctx) => ({ ...to('google', ctx, lead(GOOGLE_KEY)), path: ctx.google2.path }),
  expect: [401],
});

const META_TYPES: ReadonlyArray<[string, string, number]> = [
  ['entry as an object', '{"object":"page","entry":{"id":"109876543210"}}', 404],
  ['entry as a string', '{"object":"page","entry":"109876543210"}', 404],
  ['entries that are not objects', '{"object":"page","entry":[null,1,"x",[]]}', 404],
  ['entry id as an array', metaEnvelope(`{"id":["${META_CONFIG.pageId}"],"changes":[]}`), 404],
  ['entry id as an object', metaEnvelope('{"id":{"$gt":""},"changes":[]}'), 404],
  ['entry id as a boolean', metaEnvelope('{"id":true,"changes":[]}'), 404],
  ['entry id with 400 digits', metaEnvelope(`{"id":1${'0'.repeat(400)},"changes":[]}`), 404],
  ['entry id as a number (routes, then no signature)', metaEnvelope(`{"id":${META_CONFIG.pageId},"changes":[]}`), 401],
  [
    'entry id padded with spaces (routes, then no signature)',
    metaEnvelope(`{"id":" ${META_CONFIG.pageId} ","changes":[]}`),
    401,
  ],
  ['changes as a string (routes, then no signature)', metaEntry('"changes":"leadgen"'), 401],
  [
    'leadgen value as an array (routes, then no signature)',
    metaEntry('"changes":[{"field":"leadgen","value":[1,2]}]'),
    401,
  ],
  ['object as a number (routes, then no signature)', `{"object":1,"entry":[{"id":"${META_CONFIG.pageId}"}]}`, 401],
];
for (const [name, body, status] of META_TYPES)
  add({
    category: 'wrong-types',
    name: `meta (unsigned): ${name}`,
    build: (ctx) => to('meta', ctx, body),
    expect: [status],
  });
const GENERIC_TYPES: ReadonlyArray<[string, string]> = [
  ['id as an object', JSON.stringify({ id: { $ne: null }, email: 'a@b.c' })],
  ['email as a number', JSON.stringify({ id: 'x1', email: 42 })],
  ['name as an array', JSON.stringify({ id: 'x2', name: ['a', 'b'] })],
];
for (const [name, body] of GENERIC_TYPES)
  add({
    category: 'wrong-types',
    name: `generic (unsigned): ${name}`,
    build: (ctx) => to('generic', ctx, body),
    expect: [401],
  });

// 5. sizes around WEBHOOK_MAX_BYTES (1 MiB): at the limit it is read (then refused), over it → 413
add({
  category: 'huge-body',
  name: 'google: a wrong key, exactly 1 MiB',
  build: (ctx) => to('google', ctx, padded('"google_key":"wrong",', MAX_BYTES)),
  expect: [401],
});
add({
  category: 'huge-body',
  name: 'google: 1 MiB + 1 byte',
  build: (ctx) => to('google', ctx, padded('"google_key":"wrong",', MAX_BYTES + 1)),
  expect: [413],
});
add({
  category: 'huge-body',
  name: 'google: the right key, 1 MiB + 1 byte',
  build: (ctx) => to('google', ctx, padded(`"google_key":"${GOOGLE_KEY}","lead_id":"big",`, MAX_BYTES + 1)),
  expect: [413],
  signed: true,
});
add({
  category: 'huge-body',
  name: 'google: 4 MiB',
  build: (ctx) => to('google', ctx, padded('', 4 * MAX_BYTES)),
  expect: [413],
});
add({
  category: 'huge-body',
  name: 'meta (unsigned): a routed page, exactly 1 MiB',
  build: (ctx) => to('meta', ctx, padded(`"object":"page","entry":[{"id":"${META_CONFIG.pageId}"}],`, MAX_BYTES)),
  expect: [401],
});
add({
  category: 'huge-body',
  name: 'meta (signed): 1 MiB + 1 byte',
  build: (ctx) =>
    to('meta', ctx, padded(`"object":"page","entry":[{"id":"${META_CONFIG.pageId}"}],`, MAX_BYTES + 1), { sign: true }),
  expect: [413],
  signed: true,
});
add({
  category: 'huge-body',
  name: 'generic (unsigned): exactly 1 MiB',
  build: (ctx) => to('generic', ctx, padded('"id":"big",', MAX_BYTES)),
  expect: [401],
});
add({
  category: 'huge-body',
  name: 'generic (signed): 1 MiB + 1 byte',
  build: (ctx) => to('generic', ctx, padded('"id":"big",', MAX_BYTES + 1), { sign: true }),
  expect: [413],
  signed: true,
});
add({
  category: 'huge-body',
  name: 'generic (signed): 8 MiB',
  build: (ctx) => to('generic', ctx, padded('"id":"huge",', 8 * MAX_BYTES), { sign: true }),
  expect: [413],
  signed: true,
});
add({
  category: 'huge-body',
  name: 'google: a 100 KB key name',
  build: (ctx) => to('google', ctx, `{"${'k'.repeat(100_000)}":1,"google_key":"wrong"}`),
  expect: [401],
});
add({
  category: 'huge-body',
  name: 'google: 20k distinct keys',
  build: (ctx) => to('google', ctx, `{${Array.from({ length: 20_000 }, (_, i) => `"k${i}":0`).join(',')}}`),
  expect: [401],
});
add({
  category: 'huge-body',
  name: 'meta (unsigned): 5k entries of unknown pages',
  build: (ctx) =>
    to('meta', ctx, metaEnvelope(Array.from({ length: 5_000 }, (_, i) => `{"id":"${900_000 + i}"}`).join(','))),
  expect: [404],
});
add({
  category: 'huge-body',
  name: 'google: a 100 KB integer literal',
  build: (ctx) => to('google', ctx, `{"google_key":"wrong","form_id":9${'9'.repeat(100_000)}}`),
  expect: [401],
});
add({
  category: 'huge-body',
  name: 'generic: an 8 KB garbage signature header',
  build: (ctx) =>
    to('generic', ctx, genericBody(), {
      headers: { 'x-webhook-signature': `sha256=${'f'.repeat(8000)}`, 'x-webhook-timestamp': String(now()) },
    }),
  expect: [401],
});

// 6. invalid UTF-8: inside strings (decoded with U+FFFD, then refused) or between tokens (400)
const bytes = (...parts: Array<string | number[]>): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));
/** Each body starts with `head`: a wrong google_key for Google/generic, a routed page for Meta (so it reaches the signature check). */
const INVALID_UTF8: ReadonlyArray<[string, (head: string) => Buffer, Record<Endpoint, number>]> = [
  [
    '0xFF 0xFE in a string',
    (head) => bytes(head, '"name":"', [0xff, 0xfe], '"}'),
    { google: 401, meta: 401, generic: 401 },
  ],
  [
    'an overlong "/" (0xC0 0xAF)',
    (head) => bytes(head, '"name":"', [0xc0, 0xaf], '"}'),
    { google: 401, meta: 401, generic: 401 },
  ],
  [
    'a UTF-8 encoded surrogate (0xED 0xA0 0x80)',
    (head) => bytes(head, '"name":"', [0xed, 0xa0, 0x80], '"}'),
    { google: 401, meta: 401, generic: 401 },
  ],
  [
    'a lone continuation byte in a key',
    (head) => bytes(head, '"na', [0x80], 'me":"x"}'),
    { google: 401, meta: 401, generic: 401 },
  ],
  [
    'invalid bytes between tokens',
    (head) => bytes(head, '"name":"x"', [0xff], '}'),
    { google: 400, meta: 400, generic: 400 },
  ],
  [
    'a multi-byte sequence cut at the end',
    (head) => bytes(head, '"name":"x"}', [0xe2, 0x82]),
    { google: 400, meta: 400, generic: 400 },
  ],
  [
    'UTF-16LE bytes declared as JSON',
    (head) => Buffer.from(`${head}"name":"x"}`, 'utf16le'),
    { google: 400, meta: 400, generic: 400 },
  ],
  [
    'a UTF-8 BOM before the object',
    (head) => bytes([0xef, 0xbb, 0xbf], head, '"name":"x"}'),
    { google: 401, meta: 401, generic: 401 },
  ],
];
const UTF8_HEAD: Record<Endpoint, string> = {
  google: '{"google_key":"wrong",',
  meta: `{"object":"page","entry":[{"id":"${META_CONFIG.pageId}"}],`,
  generic: '{"id":"utf8",',
};
for (const [name, body, expected] of INVALID_UTF8) {
  for (const endpoint of ENDPOINTS)
    add({
      category: 'invalid-utf8',
      name: `${endpoint} (unsigned): ${name}`,
      build: (ctx) => to(endpoint, ctx, body(UTF8_HEAD[endpoint])),
      expect: [expected[endpoint]],
    });
}
const metaInvalid = bytes(
  `{"object":"page","entry":[{"id":"${META_CONFIG.pageId}","changes":[{"field":"leadgen","value":{"leadgen_id":"`,
  [0xff, 0xc0],
  '"}}]}]}',
);
add({
  category: 'invalid-utf8',
  name: 'meta: invalid bytes, signed over their U+FFFD-decoded text instead of the bytes',
  build: (ctx) => ({
    ...to('meta', ctx, metaInvalid),
    headers: { 'x-hub-signature-256': metaSig(metaInvalid.toString('utf8')) },
  }),
  expect: [401],
});
const genericInvalid = bytes('{"id":"utf-', [0xff], '","email":"x@example.com"}');
add({
  category: 'invalid-utf8',
  name: 'generic: invalid bytes, signed over their U+FFFD-decoded text instead of the bytes',
  build: (ctx) => ({
    ...to('generic', ctx, genericInvalid),
    headers: genericHeaders(genericInvalid.toString('utf8'), ctx.generic.secret),
  }),
  expect: [401],
});
add({
  category: 'invalid-utf8',
  name: 'meta: invalid bytes with a wrong signature',
  build: (ctx) => ({
    ...to('meta', ctx, metaInvalid),
    headers: { 'x-hub-signature-256': metaSig(metaInvalid, 'not-the-secret') },
  }),
  expect: [401],
});

// 7. prototype keys: refused by the parser (400), signed or not, at any depth
const PROTO: ReadonlyArray<[string, string]> = [
  ['top-level __proto__', '{"__proto__":{"polluted":true}}'],
  [
    '__proto__ beside a valid google_key',
    `{"google_key":"${GOOGLE_KEY}","lead_id":"p1","__proto__":{"polluted":true}}`,
  ],
  ['nested __proto__ in an array', '{"a":{"b":[{"__proto__":{"polluted":true}}]}}'],
  ['unicode-escaped __proto__', '{"\\u005f\\u005fproto\\u005f\\u005f":{"polluted":true}}'],
  ['__proto__ with space before the colon', '{"__proto__" :{"polluted":true}}'],
  ['constructor.prototype', '{"constructor":{"prototype":{"polluted":true}}}'],
  ['nested constructor.prototype', '{"x":[{"constructor":{"prototype":{"polluted":true}}}]}'],
  ['escaped constructor.prototype', '{"\\u0063onstructor":{"prototype":{"polluted":true}}}'],
  ['__proto__ set to null', '{"__proto__":null}'],
  [
    '__proto__ inside a Meta leadgen value',
    metaEntry('"changes":[{"field":"leadgen","value":{"leadgen_id":"1","__proto__":{"polluted":true}}}]'),
  ],
];
for (const [name, body] of PROTO) {
  add({ category: 'prototype-keys', name: `google: ${name}`, build: (ctx) => to('google', ctx, body), expect: [400] });
  add({
    category: 'prototype-keys',
    name: `meta (signed): ${name}`,
    build: (ctx) => to('meta', ctx, body, { sign: true }),
    expect: [400],
    signed: true,
  });
  add({
    category: 'prototype-keys',
    name: `generic (signed): ${name}`,
    build: (ctx) => to('generic', ctx, body, { sign: true }),
    expect: [400],
    signed: true,
  });
}
// "prototype" alone or "__proto__" as a value is not dangerous: parsed, then refused for the key/signature
add({
  category: 'prototype-keys',
  name: 'google: a plain "prototype" key and "__proto__" as a value',
  build: (ctx) => to('google', ctx, '{"prototype":{"polluted":true},"x":"__proto__","google_key":"wrong"}'),
  expect: [401],
});

// 8. wrong, missing, malformed signatures
const metaBody = (): string => metaLeadgen(META_CONFIG.pageId, [nextId('sig')]);
const sha1Hex = (body: Body, secret: string): string => createHmac('sha1', secret).update(body).digest('hex');
const META_SIGS: ReadonlyArray<[string, (body: string) => Record<string, string>]> = [
  ['no signature header', () => ({})],
  ['an empty signature header', () => ({ 'x-hub-signature-256': '' })],
  ['"sha256=" and nothing else', () => ({ 'x-hub-signature-256': 'sha256=' })],
  ['garbage', () => ({ 'x-hub-signature-256': 'hello world' })],
  ['63 hex digits', (b) => ({ 'x-hub-signature-256': metaSig(b).slice(0, -1) })],
  ['65 hex digits', (b) => ({ 'x-hub-signature-256': `${metaSig(b)}0` })],
  ['non-hex digits', () => ({ 'x-hub-signature-256': `sha256=${'z'.repeat(64)}` })],
  ['all zeros', () => ({ 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` })],
  ['the wrong secret', (b) => ({ 'x-hub-signature-256': metaSig(b, 'not-the-secret') })],
  ['the wrong secret, upper-cased', (b) => ({ 'x-hub-signature-256': metaSig(b, 'not-the-secret').toUpperCase() })],
  ['the right secret over a different body', () => ({ 'x-hub-signature-256': metaSig(metaBody()) })],
  ['the right secret over the body plus a newline', (b) => ({ 'x-hub-signature-256': metaSig(`${b}\n`) })],
  ['the right secret over an empty body', () => ({ 'x-hub-signature-256': metaSig('') })],
  ["another page's app secret", (b) => ({ 'x-hub-signature-256': metaSig(b, META_2.appSecret) })],
  [
    'the legacy sha1 header only (correct)',
    (b) => ({ 'x-hub-signature': `sha1=${sha1Hex(b, META_CONFIG.appSecret)}` }),
  ],
  [
    'sha1= prefix in the sha256 header (correct sha1)',
    (b) => ({ 'x-hub-signature-256': `sha1=${sha1Hex(b, META_CONFIG.appSecret)}` }),
  ],
  ['a correct signature followed by junk', (b) => ({ 'x-hub-signature-256': `${metaSig(b)}junk` })],
  ['two signatures, the second correct', (b) => ({ 'x-hub-signature-256': `${metaSig(b, 'wrong')}, ${metaSig(b)}` })],
  ['the bare hex without the sha256= prefix', (b) => ({ 'x-hub-signature-256': metaSig(b).slice(7) })],
  ['the signature in another header', (b) => ({ 'x-signature': metaSig(b) })],
  [
    'a plain sha256 of the body (no key)',
    (b) => ({ 'x-hub-signature-256': `sha256=${createHash('sha256').update(b).digest('hex')}` }),
  ],
];
for (const [name, headers] of META_SIGS) {
  add({
    category: 'bad-signature',
    name: `meta: ${name}`,
    build: (ctx) => {
      const body = metaBody();
      return { ...to('meta', ctx, body), headers: headers(body) };
    },
    expect: [401],
  });
}
add({
  category: 'bad-signature',
  name: "meta: a second page's entry signed with the first page's secret",
  build: (ctx) => {
    const body = metaLeadgen(META_2.pageId, [nextId('cross')]);
    return { ...to('meta', ctx, body), headers: { 'x-hub-signature-256': metaSig(body) } };
  },
  expect: [401],
});
add({
  category: 'bad-signature',
  name: 'meta: pretty-printed body signed over its compact form',
  build: (ctx) => {
    const compact = metaBody();
    return {
      ...to('meta', ctx, JSON.stringify(JSON.parse(compact), null, 2)),
      headers: { 'x-hub-signature-256': metaSig(compact) },
    };
  },
  expect: [401],
});

const GENERIC_SIGS: ReadonlyArray<[string, (body: string, ctx: Ctx) => Record<string, string>]> = [
  ['no headers', () => ({})],
  ['a signature without a timestamp', (b, c) => ({ 'x-webhook-signature': genericSig(b, c.generic.secret, now()) })],
  ['a timestamp without a signature', () => ({ 'x-webhook-timestamp': String(now()) })],
  ['an empty signature', () => ({ 'x-webhook-signature': '', 'x-webhook-timestamp': String(now()) })],
  ['garbage', () => ({ 'x-webhook-signature': 'garbage', 'x-webhook-timestamp': String(now()) })],
  ['all zeros', () => ({ 'x-webhook-signature': `sha256=${'0'.repeat(64)}`, 'x-webhook-timestamp': String(now()) })],
  ['the wrong secret', (b) => genericHeaders(b, 'not-the-secret')],
  [
    'the wrong secret, upper-cased',
    (b) => {
      const h = genericHeaders(b, 'not-the-secret');
      return { ...h, 'x-webhook-signature': h['x-webhook-signature'].toUpperCase() };
    },
  ],
  [
    'sha1= prefix with an HMAC-SHA1',
    (b, c) => ({
      'x-webhook-signature': `sha1=${createHmac('sha1', c.generic.secret).update(`${now()}.${b}`).digest('hex')}`,
      'x-webhook-timestamp': String(now()),
    }),
  ],
  [
    'the body signed without the timestamp',
    (b, c) => ({
      'x-webhook-signature': `sha256=${createHmac('sha256', c.generic.secret).update(b).digest('hex')}`,
      'x-webhook-timestamp': String(now()),
    }),
  ],
  [
    'signed for another timestamp than the one sent',
    (b, c) => ({
      'x-webhook-signature': genericSig(b, c.generic.secret, now() - 1),
      'x-webhook-timestamp': String(now()),
    }),
  ],
  ['the right secret over another body', (_b, c) => genericHeaders(genericBody(), c.generic.secret)],
  [
    'the Meta header scheme instead',
    (b, c) => ({ 'x-hub-signature-256': `sha256=${createHmac('sha256', c.generic.secret).update(b).digest('hex')}` }),
  ],
  [
    'the signature header sent twice (wrong, right)',
    (b, c) => {
      const ts = now();
      return {
        'x-webhook-signature': `${genericSig(b, 'wrong', ts)}, ${genericSig(b, c.generic.secret, ts)}`,
        'x-webhook-timestamp': String(ts),
      };
    },
  ],
  ['a timestamp that is not a number', (b, c) => genericHeaders(b, c.generic.secret, 'yesterday')],
  ['a negative timestamp', (b, c) => genericHeaders(b, c.generic.secret, '-1')],
  ['a fractional timestamp', (b, c) => genericHeaders(b, c.generic.secret, `${now()}.5`)],
  ['a timestamp in milliseconds', (b, c) => genericHeaders(b, c.generic.secret, Date.now())],
  ['a hex timestamp', (b, c) => genericHeaders(b, c.generic.secret, `0x${now().toString(16)}`)],
  ['timestamp 0', (b, c) => genericHeaders(b, c.generic.secret, 0)],
  ['a timestamp one day ahead', (b, c) => genericHeaders(b, c.generic.secret, now() + 86_400)],
];
for (const [name, headers] of GENERIC_SIGS) {
  add({
    category: 'bad-signature',
    name: `generic: ${name}`,
    build: (ctx) => {
      const body = genericBody();
      return { ...to('generic', ctx, body), headers: headers(body, ctx) };
    },
    expect: [401],
  });
}

// 9. replays: a captured delivery outside the 300 s window, signed correctly for its own timestamp
const REPLAYS: ReadonlyArray<[string, number]> = [
  ['signed 301 s ago', -301],
  ['signed 10 min ago', -600],
  ['signed 1 h ago', -3600],
  ['signed 30 days ago', -30 * 86_400],
  // (310, not 301: the whole-second timestamp may be up to 1 s behind the server's clock)
  ['signed 310 s in the future', 310],
];
for (const [name, offset] of REPLAYS) {
  add({
    category: 'replay',
    name: `generic: a captured delivery ${name}`,
    build: (ctx) => {
      const body = genericBody();
      return { ...to('generic', ctx, body), headers: genericHeaders(body, ctx.generic.secret, now() + offset) };
    },
    expect: [401],
  });
}

// 10. content types: only application/json is parsed; anything else → 415 (even when correctly signed)
const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----hostile',
  'application/xml',
  'text/json',
  'application/vnd.api+json',
  'application/json-patch+json',
  'application/octet-stream',
  'application/jsonx',
  'text/html',
  '*/*',
  'garbage',
];
for (const type of CONTENT_TYPES) {
  add({
    category: 'content-type',
    name: `google: ${type}`,
    build: (ctx) => to('google', ctx, googleLead(GOOGLE_KEY, nextId('ct'), { name: 'CT' }), { contentType: type }),
    expect: [415],
    signed: true,
  });
  add({
    category: 'content-type',
    name: `generic (signed): ${type}`,
    build: (ctx) => to('generic', ctx, genericBody(), { sign: true, contentType: type }),
    expect: [415],
    signed: true,
  });
}
add({
  category: 'content-type',
  name: 'meta (signed): text/plain',
  build: (ctx) => to('meta', ctx, metaBody(), { sign: true, contentType: 'text/plain' }),
  expect: [415],
  signed: true,
});
add({
  category: 'content-type',
  name: 'google: a form-encoded body',
  build: (ctx) =>
    to('google', ctx, `google_key=${GOOGLE_KEY}&lead_id=form`, { contentType: 'application/x-www-form-urlencoded' }),
  expect: [415],
  signed: true,
});
add({
  category: 'content-type',
  name: 'google: a multipart body',
  build: (ctx) =>
    to(
      'google',
      ctx,
      `------hostile\r\nContent-Disposition: form-data; name="google_key"\r\n\r\n${GOOGLE_KEY}\r\n------hostile--\r\n`,
      { contentType: 'multipart/form-data; boundary=----hostile' },
    ),
  expect: [415],
  signed: true,
});
add({
  category: 'content-type',
  name: 'google: no content type with a JSON body',
  build: (ctx) =>
    to('google', ctx, Buffer.from(googleLead(GOOGLE_KEY, nextId('noct'), { name: 'X' })), { contentType: null }),
  expect: [415],
  signed: true,
});
add({
  category: 'content-type',
  name: 'generic (signed): no content type',
  build: (ctx) => to('generic', ctx, Buffer.from(genericBody()), { sign: true, contentType: null }),
  expect: [415],
  signed: true,
});
add({
  category: 'content-type',
  name: 'google: no content type and no body',
  build: (ctx) => ({ path: ctx.google.path, contentType: null }),
  expect: [400, 415],
});

// 11. routing: unknown providers and webhook ids → 404, never a lookup of something else
const ROUTES: ReadonlyArray<[string, (ctx: Ctx) => string, readonly number[]]> = [
  ['unknown provider', () => '/api/webhooks/no-such-provider', [404]],
  ['unknown provider with a webhook id', (c) => `/api/webhooks/no-such-provider/${c.google.webhookId}`, [404]],
  ['unknown webhook id', () => '/api/webhooks/google-ads-lead-forms/wh_doesnotexist', [404]],
  [
    "Google's webhook id under the generic provider",
    (c) => `/api/webhooks/generic-webhook/${c.google.webhookId}`,
    [404],
  ],
  [
    "the generic webhook id under Google's provider",
    (c) => `/api/webhooks/google-ads-lead-forms/${c.generic.webhookId}`,
    [404],
  ],
  ['provider-level URL of an integration-routed provider (google)', () => '/api/webhooks/google-ads-lead-forms', [404]],
  ['provider-level URL of an integration-routed provider (generic)', () => '/api/webhooks/generic-webhook', [404]],
  ['provider __proto__', () => '/api/webhooks/__proto__', [404]],
  ['provider constructor', () => '/api/webhooks/constructor', [404]],
  ['provider toString with a webhook id', (c) => `/api/webhooks/toString/${c.google.webhookId}`, [404]],
  ['webhook id __proto__', () => '/api/webhooks/google-ads-lead-forms/__proto__', [404]],
  ['webhook id constructor', () => '/api/webhooks/generic-webhook/constructor', [404]],
  ['upper-cased provider', (c) => `/api/webhooks/GOOGLE-ADS-LEAD-FORMS/${c.google.webhookId}`, [404]],
  ['upper-cased webhook id', (c) => `/api/webhooks/google-ads-lead-forms/${c.google.webhookId.toUpperCase()}`, [404]],
  ['webhook id with a SQL quote', () => "/api/webhooks/google-ads-lead-forms/wh_'%20OR%20'1'='1", [404]],
  ['webhook id with an encoded NUL', () => '/api/webhooks/google-ads-lead-forms/wh_%00', [404]],
  ['encoded path traversal', () => '/api/webhooks/google-ads-lead-forms/..%2F..%2Fhealth', [404]],
  ['an extra path segment', (c) => `/api/webhooks/google-ads-lead-forms/${c.google.webhookId}/extra`, [404]],
  ['a 1000-character webhook id', () => `/api/webhooks/google-ads-lead-forms/wh_${'a'.repeat(1000)}`, [404]],
  ['a malformed percent-encoding in the webhook id', () => '/api/webhooks/google-ads-lead-forms/wh_%zz', [400, 404]],
];
for (const [name, path, expected] of ROUTES) {
  add({
    category: 'routing',
    name: `POST ${name}`,
    build: (ctx) => ({ path: path(ctx), body: googleLead(GOOGLE_KEY, nextId('route'), { name: 'R' }) }),
    expect: expected,
    signed: true,
  });
}
add({
  category: 'routing',
  name: 'PUT on a webhook URL',
  build: (ctx) => ({
    method: 'PUT',
    path: ctx.google.path,
    body: googleLead(GOOGLE_KEY, nextId('put'), { name: 'P' }),
  }),
  expect: [404],
  signed: true,
});
add({
  category: 'routing',
  name: 'PATCH on a webhook URL',
  build: (ctx) => ({ method: 'PATCH', path: ctx.generic.path, body: genericBody() }),
  expect: [404],
});
add({
  category: 'routing',
  name: 'DELETE on a webhook URL',
  build: (ctx) => ({ method: 'DELETE', path: ctx.google.path }),
  expect: [404],
});
add({
  category: 'routing',
  name: 'GET handshake with a wrong verify token',
  build: () => ({
    method: 'GET',
    path: `${META_PATH}?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=%3Cscript%3E`,
  }),
  expect: [403],
});
add({
  category: 'routing',
  name: 'GET handshake with the verify token repeated (array)',
  build: () => ({
    method: 'GET',
    path: `${META_PATH}?hub.mode=subscribe&hub.verify_token=${META_CONFIG.verifyToken}&hub.verify_token=x&hub.challenge=1`,
  }),
  expect: [403],
});
add({
  category: 'routing',
  name: 'GET handshake on a provider without one',
  build: (ctx) => ({ method: 'GET', path: `${ctx.google.path}?hub.mode=subscribe&hub.challenge=1` }),
  expect: [404],
});
add({
  category: 'routing',
  name: 'generic (signed) to an inactive integration',
  build: (ctx) => {
    const body = genericBody();
    return { path: ctx.inactiveGeneric.path, body, headers: genericHeaders(body, ctx.inactiveGeneric.secret) };
  },
  expect: [409],
  signed: true,
});
add({
  category: 'routing',
  name: "generic signed with the inactive integration's secret, sent to the active one",
  build: (ctx) => {
    const body = genericBody();
    return { ...to('generic', ctx, body), headers: genericHeaders(body, ctx.inactiveGeneric.secret) };
  },
  expect: [401],
});

// 12. HTTP framing the usual clients never send (written to a socket)
const json = (s: string): Buffer => Buffer.from(s, 'utf8');
add({
  category: 'framing',
  name: 'Content-Length shorter than the body (the rest is not read as this body)',
  build: (ctx) => {
    const body = json(googleLead(GOOGLE_KEY, nextId('cl-short'), { name: 'Short' }));
    return {
      raw: rawRequest(
        ctx.google.path,
        [
          ['Content-Type', 'application/json'],
          ['Content-Length', String(body.length - 10)],
        ],
        body,
      ),
    };
  },
  expect: [400],
  signed: true,
});
add({
  category: 'framing',
  name: 'Content-Length longer than the body, client stops sending',
  build: (ctx) => {
    const body = json(googleLead(GOOGLE_KEY, nextId('cl-long'), { name: 'Long' }));
    return {
      raw: rawRequest(
        ctx.google.path,
        [
          ['Content-Type', 'application/json'],
          ['Content-Length', String(body.length + 50)],
        ],
        body,
      ),
      halfClose: true,
    };
  },
  expect: [400],
  signed: true,
});
add({
  category: 'framing',
  name: 'Content-Length declaring 2 MiB (refused before reading)',
  build: (ctx) => ({
    raw: rawRequest(
      ctx.google.path,
      [
        ['Content-Type', 'application/json'],
        ['Content-Length', String(2 * MAX_BYTES)],
      ],
      json('{"google_key":"x"'),
    ),
  }),
  expect: [413],
});
add({
  category: 'framing',
  name: 'chunked body growing past 1 MiB without a Content-Length',
  build: (ctx) => {
    const chunk = Buffer.alloc(256 * 1024, 0x78);
    const frame = (b: Buffer): Buffer => Buffer.concat([json(`${b.length.toString(16)}\r\n`), b, json('\r\n')]);
    const chunks = [
      frame(json('{"google_key":"wrong","pad":"')),
      ...Array.from({ length: 5 }, () => frame(chunk)),
      frame(json('"}')),
      json('0\r\n\r\n'),
    ];
    return {
      raw: rawRequest(
        ctx.google.path,
        [
          ['Content-Type', 'application/json'],
          ['Transfer-Encoding', 'chunked'],
        ],
        Buffer.concat(chunks),
      ),
    };
  },
  expect: [413],
});
add({
  category: 'framing',
  name: 'chunked body under the limit, wrong key',
  build: (ctx) => {
    const body = json('{"google_key":"wrong"}');
    return {
      raw: rawRequest(
        ctx.google.path,
        [
          ['Content-Type', 'application/json'],
          ['Transfer-Encoding', 'chunked'],
        ],
        Buffer.concat([json(`${body.length.toString(16)}\r\n`), body, json('\r\n0\r\n\r\n')]),
      ),
    };
  },
  expect: [401],
});
add({
  category: 'framing',
  name: 'Content-Length together with Transfer-Encoding (request smuggling)',
  build: (ctx) => {
    const body = json(googleLead(GOOGLE_KEY, nextId('smuggle'), { name: 'Smuggler' }));
    return {
      raw: rawRequest(
        ctx.google.path,
        [
          ['Content-Type', 'application/json'],
          ['Content-Length', String(body.length)],
          ['Transfer-Encoding', 'chunked'],
        ],
        body,
      ),
    };
  },
  expect: [400],
  signed: true,
});
add({
  category: 'framing',
  name: 'a signature header over 16 KB (header overflow)',
  build: (ctx) => ({
    raw: rawRequest(
      ctx.generic.path,
      [
        ['Content-Type', 'application/json'],
        ['X-Webhook-Signature', `sha256=${'a'.repeat(20_000)}`],
        ['Content-Length', '2'],
      ],
      json('{}'),
    ),
  }),
  expect: [431],
  transport: true,
});
add({
  category: 'framing',
  name: 'non-ASCII bytes in the signature header',
  build: () => {
    const body = json(metaBody());
    return {
      raw: Buffer.concat([
        rawRequest(META_PATH, [
          ['Content-Type', 'application/json'],
          ['Content-Length', String(body.length)],
        ]).subarray(0, -2),
        json('X-Hub-Signature-256: sha256='),
        Buffer.from([0xff, 0xfe]),
        json('\r\n\r\n'),
        body,
      ]),
    };
  },
  expect: [401],
});

// ---------------------------------------------------------------- correctly signed but odd payloads

const signedOdd: SignedOddCase[] = [
  ...['null', '[]', '"str"', '123', '{}'].map((body) => ({
    name: `generic: body ${body}`,
    build: (ctx: Ctx): Delivery => to('generic', ctx, body, { sign: true }),
  })),
  { name: 'generic: 10k nested arrays', build: (ctx) => to('generic', ctx, deepArray(10_000), { sign: true }) },
  {
    name: 'generic: an id 10k objects deep',
    build: (ctx) => to('generic', ctx, `{"id":${deepObject(10_000, '"deep"')}}`, { sign: true }),
  },
  {
    name: 'generic: wrong types in mapped fields',
    build: (ctx) => to('generic', ctx, JSON.stringify({ id: ['a'], email: { x: 1 }, name: 12 }), { sign: true }),
  },
  {
    name: 'generic: invalid UTF-8, signed over the exact bytes',
    build: (ctx) =>
      to('generic', ctx, bytes('{"id":"', nextId('utf8'), '","name":"', [0xff, 0xc0, 0xaf], '"}'), { sign: true }),
  },
  {
    name: 'generic: a NUL character in a field',
    build: (ctx) => to('generic', ctx, genericBody(nextId('nul'), { name: 'a\u0000b' }), { sign: true }),
  },
  {
    name: 'generic: a NUL character in the id',
    build: (ctx) => to('generic', ctx, genericBody(`${nextId('nulid')}\u0000`), { sign: true }),
  },
  {
    name: 'generic: a lone surrogate escape',
    build: (ctx) => to('generic', ctx, `{"id":"${nextId('sur')}","name":"\\ud800"}`, { sign: true }),
  },
  {
    name: 'generic: just under 1 MiB',
    build: (ctx) => to('generic', ctx, padded(`"id":"${nextId('big')}",`, MAX_BYTES - 100), { sign: true }),
  },
  {
    name: 'google: the right key, 10k nested objects beside it',
    build: (ctx) =>
      to('google', ctx, `{"google_key":"${GOOGLE_KEY}","lead_id":"${nextId('deep')}","x":${deepObject(10_000)}}`),
  },
  { name: 'google: the right key, no lead_id', build: (ctx) => to('google', ctx, `{"google_key":"${GOOGLE_KEY}"}`) },
  {
    name: 'google: the right key, lead_id as an object',
    build: (ctx) => to('google', ctx, `{"google_key":"${GOOGLE_KEY}","lead_id":{"$gt":""}}`),
  },
  {
    name: 'google: the right key, a NUL character in an answer',
    build: (ctx) => to('google', ctx, googleLead(GOOGLE_KEY, nextId('gnul'), { name: 'Nul\u0000Byte' })),
  },
  {
    name: 'google: the right key, invalid UTF-8 in an answer',
    build: (ctx) =>
      to(
        'google',
        ctx,
        bytes(
          `{"google_key":"${GOOGLE_KEY}","lead_id":"${nextId('gutf')}","user_column_data":[{"column_id":"FULL_NAME","string_value":"`,
          [0xff],
          '"}]}',
        ),
      ),
  },
  {
    name: 'meta: a routed page without leadgen changes',
    build: (ctx) => to('meta', ctx, metaEntry('"changes":[{"field":"feed","value":{}}]'), { sign: true }),
  },
  {
    name: 'meta: leadgen_id as an object',
    build: (ctx) =>
      to('meta', ctx, metaEntry('"changes":[{"field":"leadgen","value":{"leadgen_id":{"$gt":""}}}]'), { sign: true }),
  },
  {
    name: 'meta: a NUL character in leadgen_id',
    build: (ctx) =>
      to('meta', ctx, metaEntry(`"changes":[{"field":"leadgen","value":{"leadgen_id":"${nextId('mnul')}\\u0000"}}]`), {
        sign: true,
      }),
  },
  {
    name: "meta: entries of the first page signed by it, a second page's entry beside them",
    build: (ctx) => {
      const body = metaEnvelope(
        `{"id":"${META_CONFIG.pageId}","changes":[]},{"id":"${META_2.pageId}","changes":[{"field":"leadgen","value":{"leadgen_id":"${nextId('other')}"}}]}`,
      );
      return to('meta', ctx, body, { sign: true });
    },
  },
];

// ---------------------------------------------------------------- the test

describe('hostile webhook input', () => {
  let t: TestApp;
  let graph: FakeServer;
  let ctx: Ctx;
  let sub: number;
  let meta2Id: number;
  let firstNewId = '0';
  /** Event ids answered to correctly signed deliveries: the only rows that may appear. */
  const allowed = new Set<string>();
  /** Every answer, printed with HOSTILE_VERBOSE=1 (to review what each case got). */
  const outcomes: string[] = [];

  beforeAll(async () => {
    graph = await FakeServer.start();
    t = await createTestApp({
      env: {
        META_GRAPH_URL: graph.url,
        WEBHOOK_MAX_BYTES: String(MAX_BYTES),
        WEBHOOK_RATE_PER_IP_PER_MINUTE: '10000000',
        WEBHOOK_RATE_PER_INTEGRATION_PER_MINUTE: '10000000',
        WEBHOOK_CACHE_TTL_MS: '0',
      },
    });
    const server = t.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    sub = await createSubAccount(t, 'MAX');
    const google = await createIntegration(t, sub, 'google-ads-lead-forms', { googleKey: GOOGLE_KEY });
    const google2 = await createIntegration(t, sub, 'google-ads-lead-forms', { googleKey: GOOGLE_KEY_2 });
    const meta = await createIntegration(t, sub, 'meta-lead-ads', META_CONFIG);
    const meta2 = await createIntegration(t, sub, 'meta-lead-ads', META_2);
    const generic = await createIntegration(t, sub, 'generic-webhook', GENERIC_CONFIG);
    const inactive = await createIntegration(t, sub, 'generic-webhook', GENERIC_CONFIG);
    for (const i of [google, google2, meta, meta2, generic]) await activate(t, sub, i.id);
    meta2Id = meta2.id;
    const path = (url: string): string => new URL(url).pathname;
    ctx = {
      port: (server.address() as AddressInfo).port,
      google: { path: path(google.webhookUrl), webhookId: path(google.webhookUrl).split('/').pop() ?? '' },
      google2: { path: path(google2.webhookUrl) },
      generic: {
        path: path(generic.webhookUrl),
        webhookId: path(generic.webhookUrl).split('/').pop() ?? '',
        secret: generic.webhookSecret,
      },
      inactiveGeneric: { path: path(inactive.webhookUrl), secret: inactive.webhookSecret },
    };
    firstNewId = (await t.sql.query<{ max: string }>('SELECT coalesce(max(id), 0)::text AS max FROM webhook_events'))
      .rows[0].max;
  });

  afterAll(async () => {
    if (process.env.HOSTILE_VERBOSE) console.log(outcomes.join('\n'));
    await t?.close();
    await graph?.close();
  });

  async function send(d: Delivery): Promise<Answer> {
    let req = t.http[(d.method ?? 'POST').toLowerCase() as 'post'](d.path);
    if (d.contentType !== null && d.body !== undefined)
      req = req.set('content-type', d.contentType ?? 'application/json');
    for (const [name, value] of Object.entries(d.headers ?? {})) req = req.set(name, value);
    // the bytes as they are: superagent would JSON-encode a Buffer sent as application/json
    if (d.body !== undefined) req = req.serialize((data: unknown) => data as string).send(d.body);
    const res = await req;
    return { status: res.status, headers: res.headers, body: res.body, text: res.text };
  }

  async function newRows(): Promise<string[]> {
    return (
      await t.sql.query<{ id: string }>('SELECT id::text AS id FROM webhook_events WHERE id > $1 ORDER BY id', [
        firstNewId,
      ])
    ).rows.map((r) => r.id);
  }

  function eventIdsOf(body: unknown): string[] {
    const b = body as { eventId?: unknown; eventIds?: unknown };
    if (Array.isArray(b.eventIds)) return b.eventIds.map(String);
    return typeof b.eventId === 'string' ? [b.eventId] : [];
  }

  /** The API.md error body: exactly { statusCode, code, message, details? } with the code of its status. */
  function expectApiError(answer: Answer): void {
    const body = answer.body as Record<string, unknown>;
    const keys = Object.keys(body ?? {}).sort();
    const shapeOk =
      body.statusCode === answer.status &&
      typeof body.message === 'string' &&
      typeof body.code === 'string' &&
      (CODES[answer.status] ?? []).includes(body.code) &&
      keys.every((k) => ['code', 'details', 'message', 'statusCode'].includes(k));
    if (!shapeOk) throw new Error(`not the API.md error shape for ${answer.status}: ${answer.text.slice(0, 400)}`);
  }

  function expectStatus(answer: Answer, allowedStatuses: readonly number[]): void {
    if (!allowedStatuses.includes(answer.status))
      throw new Error(`expected ${allowedStatuses.join(' or ')}, got ${answer.status}: ${answer.text.slice(0, 400)}`);
  }

  it('the corpus holds at least 100 hostile cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(100);
    expect(cases.filter((c) => !c.signed).length).toBeGreaterThanOrEqual(100);
  });

  it.each(cases.map((c) => [`${c.category} | ${c.name}`, c] as const))(
    '%s → 4xx, nothing stored',
    async (_label, c) => {
      const before = await newRows();
      const logFrom = t.logs().length;
      const delivery = c.build(ctx);
      const answer = 'raw' in delivery ? await rawExchange(ctx.port, delivery) : await send(delivery);
      // a client that went away is reported after its answer: give the app a moment to log it
      if ('raw' in delivery) await new Promise((resolve) => setTimeout(resolve, 100));
      const unhandled = t
        .logs()
        .slice(logFrom)
        .split('\n')
        .find((line) => line.includes('"unhandled error"'));
      outcomes.push(`${c.category} | ${c.name}: ${answer?.status ?? 'no answer'} ${answer?.text.slice(0, 200) ?? ''}`);
      if (answer === null) throw new Error('the server closed the connection without an answer');
      expectStatus(answer, c.expect);
      if (!c.transport) expectApiError(answer);
      expect(answer.text).not.toMatch(/\bat .+\.(ts|js):\d+|SELECT |INSERT |webhook_events|prisma/i);
      expect(await newRows()).toEqual(before);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      // answered 4xx but handled internally as a 500 (logged "unhandled error" with an errorId)?
      if (unhandled) throw new Error(`the app logged an unhandled error for this case: ${unhandled.slice(0, 400)}`);
    },
  );

  it.each(signedOdd.map((c) => [c.name, c] as const))(
    'signed but odd: %s → 200 or 4xx, never 5xx',
    async (_label, c) => {
      const before = await newRows();
      const answer = await send(c.build(ctx));
      expectStatus(answer, [200, 400, 401, 404, 409, 413, 415, 422]);
      if (answer.status === 200) {
        const result = answer.body as { status?: unknown; eventId?: unknown };
        expect(['received', 'duplicate', 'ignored']).toContain(result.status);
        // API.md: "duplicate" names the stored event; a delivery that stored nothing is "ignored"
        if ((result.eventId === null) !== (result.status === 'ignored'))
          throw new Error(`status and eventId disagree: ${answer.text}`);
        for (const id of eventIdsOf(answer.body)) allowed.add(id);
      } else {
        expectApiError(answer);
      }
      outcomes.push(`signed-odd | ${c.name}: ${answer.status} ${answer.text.slice(0, 200)}`);
      const added = (await newRows()).filter((id) => !before.includes(id));
      expect(added.every((id) => allowed.has(id))).toBe(true);
    },
  );

  it('stays responsive: 4 concurrent 1 MiB junk deliveries are all refused within 1.5 s', async () => {
    const body = padded('"google_key":"wrong",', MAX_BYTES);
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 4 }, () => send({ path: ctx.google.path, body })));
    const elapsed = Date.now() - started;
    expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 401]);
    // parsing 4 MiB of JSON takes a few ms; most of this budget is for a slow machine
    expect(elapsed).toBeLessThan(1500);
  });

  it('a correct generic delivery is stored once; replaying its bytes is a duplicate, with an old timestamp a 401', async () => {
    const body = genericBody();
    const signedAt = now();
    const first = await send({
      path: ctx.generic.path,
      body,
      headers: genericHeaders(body, ctx.generic.secret, signedAt),
    });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ status: 'received', eventId: expect.stringMatching(/^\d+$/) });
    allowed.add((first.body as { eventId: string }).eventId);
    const again = await send({
      path: ctx.generic.path,
      body,
      headers: genericHeaders(body, ctx.generic.secret, signedAt),
    });
    expect(again.body).toEqual({ status: 'duplicate', eventId: (first.body as { eventId: string }).eventId });
    const before = await newRows();
    const stale = await send({
      path: ctx.generic.path,
      body,
      headers: genericHeaders(body, ctx.generic.secret, signedAt - 301),
    });
    expect(stale.status).toBe(401);
    expectApiError(stale);
    expect(await newRows()).toEqual(before);
  });

  it('survives a burst of 100 concurrent hostile requests', async () => {
    const before = await newRows();
    const small = cases.filter(
      (c) => !c.signed && !c.transport && !['huge-body', 'deep-nesting', 'framing'].includes(c.category),
    );
    const burst = Array.from({ length: 100 }, (_, i) => small[i % small.length]);
    const answers = await Promise.all(
      burst.map((c) => {
        const d = c.build(ctx);
        return 'raw' in d ? rawExchange(ctx.port, d) : send(d);
      }),
    );
    expect(answers.map((a) => a?.status ?? 0).filter((s) => s < 400 || s >= 500)).toEqual([]);
    expect(await newRows()).toEqual(before);
  });

  it('afterwards: the process is up, a valid delivery is received, only signed deliveries were stored, nothing polluted', async () => {
    const health = await t.http.get('/api/health');
    expect(health.status).toBe(200);
    const ok = await send({
      path: ctx.google.path,
      body: googleLead(GOOGLE_KEY, nextId('final'), { name: 'Still Works', email: 'still@example.com' }),
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ status: 'received', eventId: expect.stringMatching(/^\d+$/) });
    allowed.add((ok.body as { eventId: string }).eventId);

    const rows = await newRows();
    expect(rows.filter((id) => !allowed.has(id))).toEqual([]);
    expect(
      (await t.sql.query('SELECT count(*)::int AS n FROM webhook_events WHERE integration_id = $1', [meta2Id])).rows[0]
        .n,
    ).toBe(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
  });
});

describe('hostile webhook input: per-IP rate limit', () => {
  let t: TestApp;
  let path: string;
  const LIMIT = 5;

  beforeAll(async () => {
    t = await createTestApp({ env: { WEBHOOK_RATE_PER_IP_PER_MINUTE: String(LIMIT), WEBHOOK_CACHE_TTL_MS: '0' } });
    const sub = await createSubAccount(t, 'MAX');
    const google = await createIntegration(t, sub, 'google-ads-lead-forms', { googleKey: GOOGLE_KEY });
    await activate(t, sub, google.id);
    path = new URL(google.webhookUrl).pathname;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 429 RATE_LIMIT_EXCEEDED with Retry-After once the budget is spent, for junk and valid deliveries alike, storing nothing', async () => {
    const post = (p: string, body: string) => t.http.post(p).set('content-type', 'application/json').send(body);
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i++) statuses.push((await post(path, '{"google_key":"wrong"}')).status);
    expect(statuses).toEqual(Array(LIMIT).fill(401));
    const limited = [
      await post(path, '{"google_key":"wrong"}'),
      await post(path, googleLead(GOOGLE_KEY, 'rate-limited-valid', { name: 'Valid' })),
      await post('/api/webhooks/no-such-provider/wh_x', '{}'),
      await post(META_PATH, metaLeadgen(META_CONFIG.pageId, ['1'])),
    ];
    for (const res of limited) {
      expect(res.status).toBe(429);
      expect(res.body).toEqual({ statusCode: 429, code: 'RATE_LIMIT_EXCEEDED', message: expect.any(String) });
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
    }
    expect((await t.sql.query('SELECT count(*)::int AS n FROM webhook_events')).rows[0].n).toBe(0);
    expect((await t.http.get('/api/health')).status).toBe(200);
  });

  it('does not let a forged X-Forwarded-For reset the spent per-IP budget', async () => {
    // the test client connects directly: no proxy added these headers, the client wrote them
    const forged = await Promise.all(
      ['203.0.113.7', '198.51.100.23, 10.0.0.1', '2001:db8::1'].map((ip) =>
        t.http
          .post(path)
          .set('content-type', 'application/json')
          .set('x-forwarded-for', ip)
          .send('{"google_key":"wrong"}'),
      ),
    );
    expect(forged.map((r) => [r.status, r.body.code])).toEqual(Array(3).fill([429, 'RATE_LIMIT_EXCEEDED']));
    expect((await t.sql.query('SELECT count(*)::int AS n FROM webhook_events')).rows[0].n).toBe(0);
  });
});
