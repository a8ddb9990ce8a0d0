/** Wrong, missing and malformed signatures; replays outside the tolerance window. */
import { createHash, createHmac } from 'node:crypto';
import { META_CONFIG } from '../factories';
import { metaLeadgen } from '../webhooks';
import {
  Body,
  Ctx,
  genericBody,
  genericHeaders,
  genericSig,
  HostileCase,
  META_2,
  metaBody,
  metaSig,
  nextId,
  now,
  to,
} from './shared';

const cases: HostileCase[] = [];
const add = (c: HostileCase): void => {
  cases.push(c);
};

// 8. wrong, missing, malformed signatures
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

export const SIGNATURE_CASES: readonly HostileCase[] = cases;
