/** Bodies that are not what they claim: malformed JSON, hostile depth, scalars, wrong types. */
import { gzipSync } from 'node:zlib';
import { googleLead, metaLeadgen } from '../webhooks';
import { META_CONFIG } from '../factories';
import {
  Body,
  deepArray,
  deepObject,
  Endpoint,
  ENDPOINTS,
  GOOGLE_KEY,
  GOOGLE_KEY_2,
  HostileCase,
  metaEntry,
  metaEnvelope,
  nextId,
  to,
} from './shared';

const cases: HostileCase[] = [];
const add = (c: HostileCase): void => {
  cases.push(c);
};

// 1. malformed JSON (truncated, not JSON at all, two documents …) → 400, also when signed over the bytes.
// At an integration's own URL the signature comes first (API.md "Webhooks": checked "before any parsing
// work beyond what routing needs"): the generic webhook answers an unsigned malformed body 401, a
// correctly signed one 400. Google's google_key is inside the body (parsing is its verification: 400);
// the provider-level Meta URL routes by a key inside the payload (400, signed or not).
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
for (const [name, body] of MALFORMED) {
  add({
    category: 'malformed-json',
    name: `generic (unsigned): ${name}`,
    build: (ctx) => to('generic', ctx, body),
    expect: [401],
  });
}
for (const [name, body] of MALFORMED.slice(0, 10)) {
  add({
    category: 'malformed-json',
    name: `meta (unsigned): ${name}`,
    build: (ctx) => to('meta', ctx, body),
    expect: [400],
  });
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

// 2. deep nesting (10k+) — parsed without a stack overflow, then refused for the missing key/signature/route;
// unclosed, it does not parse: 400, except at the generic webhook's URL, where the missing signature comes first
const DEEP: ReadonlyArray<[string, string, Record<Endpoint, number>]> = [
  ['10k nested arrays', deepArray(10_000), { google: 401, meta: 401, generic: 401 }],
  ['100k nested arrays', deepArray(100_000), { google: 401, meta: 401, generic: 401 }],
  ['10k nested objects', deepObject(10_000), { google: 401, meta: 401, generic: 401 }],
  ['50k nested objects', deepObject(50_000), { google: 401, meta: 401, generic: 401 }],
  ['10k nested arrays, unclosed', '['.repeat(10_000), { google: 400, meta: 400, generic: 401 }],
  [
    'a wrong google_key beside 20k nested objects',
    `{"google_key":"wrong","x":${deepObject(20_000)}}`,
    { google: 401, meta: 401, generic: 401 },
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
  // the provider-level URL routes by page id: none in the body answers like a bad signature (401), never revealing routing
  add({
    category: 'scalar-body',
    name: `meta (signed): ${body}`,
    build: (ctx) => to('meta', ctx, body, { sign: true }),
    expect: [401],
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
  ['entry as an object', '{"object":"page","entry":{"id":"109876543210"}}', 401],
  ['entry as a string', '{"object":"page","entry":"109876543210"}', 401],
  ['entries that are not objects', '{"object":"page","entry":[null,1,"x",[]]}', 401],
  ['entry id as an array', metaEnvelope(`{"id":["${META_CONFIG.pageId}"],"changes":[]}`), 401],
  ['entry id as an object', metaEnvelope('{"id":{"$gt":""},"changes":[]}'), 401],
  ['entry id as a boolean', metaEnvelope('{"id":true,"changes":[]}'), 401],
  ['entry id with 400 digits', metaEnvelope(`{"id":1${'0'.repeat(400)},"changes":[]}`), 401],
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

export const MALFORMED_CASES: readonly HostileCase[] = cases;
