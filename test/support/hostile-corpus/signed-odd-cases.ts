/** Correctly signed deliveries a handler may find odd: answered 200 (stored or ignored) or 4xx, never 5xx. */
import { META_CONFIG } from '../factories';
import { googleLead } from '../webhooks';
import {
  bytes,
  Ctx,
  deepArray,
  deepObject,
  Delivery,
  genericBody,
  GOOGLE_KEY,
  MAX_BYTES,
  META_2,
  metaEntry,
  metaEnvelope,
  nextId,
  padded,
  SignedOddCase,
  to,
} from './shared';

export const SIGNED_ODD_CASES: readonly SignedOddCase[] = [
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
