/** Sizes around WEBHOOK_MAX_BYTES, invalid UTF-8, prototype keys. */
import { META_CONFIG } from '../factories';
import {
  bytes,
  Endpoint,
  ENDPOINTS,
  genericBody,
  genericHeaders,
  GOOGLE_KEY,
  HostileCase,
  MAX_BYTES,
  metaEntry,
  metaEnvelope,
  metaSig,
  now,
  padded,
  to,
} from './shared';

const cases: HostileCase[] = [];
const add = (c: HostileCase): void => {
  cases.push(c);
};

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
  expect: [401],
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

// 6. invalid UTF-8: inside strings (decoded with U+FFFD, then refused) or between tokens (400; at the
// generic webhook's URL the missing signature is refused first, 401)
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
    { google: 400, meta: 400, generic: 401 },
  ],
  [
    'a multi-byte sequence cut at the end',
    (head) => bytes(head, '"name":"x"}', [0xe2, 0x82]),
    { google: 400, meta: 400, generic: 401 },
  ],
  [
    'UTF-16LE bytes declared as JSON',
    (head) => Buffer.from(`${head}"name":"x"}`, 'utf16le'),
    { google: 400, meta: 400, generic: 401 },
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

// 7. prototype keys: refused by the parser (400), signed or not, at any depth; unsigned at the generic
// webhook's URL the missing signature is refused first (401)
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
    name: `generic (unsigned): ${name}`,
    build: (ctx) => to('generic', ctx, body),
    expect: [401],
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

export const SIZE_ENCODING_CASES: readonly HostileCase[] = cases;
