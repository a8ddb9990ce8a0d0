/** Content types, routing, and HTTP framing the usual clients never send. */
import { googleLead } from '../webhooks';
import { META_CONFIG } from '../factories';
import { rawRequest } from './raw-http';
import {
  Ctx,
  genericBody,
  genericHeaders,
  GOOGLE_KEY,
  HostileCase,
  MAX_BYTES,
  META_PATH,
  metaBody,
  nextId,
  to,
} from './shared';

const cases: HostileCase[] = [];
const add = (c: HostileCase): void => {
  cases.push(c);
};

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

export const TRANSPORT_CASES: readonly HostileCase[] = cases;
