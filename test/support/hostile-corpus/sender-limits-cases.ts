/**
 * Issue 9 point 8: sender-controlled input that once answered 500 or hung. Every case is correctly
 * signed (or needs no signature) and must be answered 200 or 400 (401 when unsigned) within the
 * corpus's per-request deadline, storing nothing a signature does not cover.
 */
import { GHL_CONFIG, META_CONFIG } from '../factories';
import { googleLead } from '../webhooks';
import {
  bytes,
  deepObject,
  GHL_PATH,
  ghlSig,
  GOOGLE_KEY,
  HostileCase,
  LINKEDIN_PATH,
  MAX_BYTES,
  META_PATH,
  metaSig,
  nextId,
  SignedOddCase,
  to,
  WHATSAPP_PATH,
  whatsappBulk,
  whatsappSig,
} from './shared';

/** A Meta leadgen delivery for the corpus's page whose change value carries `value` (raw JSON text). */
function metaLeadgenWith(valueExtra: string, leadId = nextId('lim')): string {
  return `{"object":"page","entry":[{"id":"${META_CONFIG.pageId}","time":1438292065,"changes":[{"field":"leadgen","value":{"leadgen_id":"${leadId}","page_id":"${META_CONFIG.pageId}","form_id":"1",${valueExtra}}}]}]}`;
}

const signedMeta = (body: string): { path: string; body: string; headers: Record<string, string> } => ({
  path: META_PATH,
  body,
  headers: { 'x-hub-signature-256': metaSig(body) },
});

const ghlContact = (extra: string): string =>
  `{"type":"ContactCreate","locationId":"${GHL_CONFIG.locationId}","id":"${nextId('c')}","email":"deep@example.com",${extra}}`;

export const SENDER_LIMIT_CASES: readonly SignedOddCase[] = [
  {
    name: 'meta: a leadgen field holding a string just under 1 MiB',
    build: () => {
      const template = metaLeadgenWith('"ad_name":"@@"');
      return signedMeta(template.replace('@@', 'x'.repeat(MAX_BYTES - template.length - 100)));
    },
    expect: [200, 400],
  },
  {
    name: 'meta: a leadgen_id just under 1 MiB (an "id" no index can hold)',
    build: () => {
      const template = metaLeadgenWith('"created_time":1440120384', '@@');
      return signedMeta(template.replace('@@', '7'.repeat(MAX_BYTES - template.length - 100)));
    },
    expect: [200, 400],
  },
  {
    name: 'meta: created_time 99999999999999999999',
    build: () => signedMeta(metaLeadgenWith('"created_time":99999999999999999999')),
    expect: [200, 400],
  },
  {
    name: 'meta: created_time 8.64e15 (just past the largest date)',
    build: () => signedMeta(metaLeadgenWith('"created_time":8.64e15')),
    expect: [200, 400],
  },
  {
    name: 'meta: created_time -8.64e15',
    build: () => signedMeta(metaLeadgenWith('"created_time":-8.64e15')),
    expect: [200, 400],
  },
  {
    name: 'meta: created_time 1e999 (Infinity once parsed)',
    build: () => signedMeta(metaLeadgenWith('"created_time":1e999')),
    expect: [200, 400],
  },
  {
    name: 'meta: created_time as a 400-digit number',
    build: () => signedMeta(metaLeadgenWith(`"created_time":9${'9'.repeat(400)}`)),
    expect: [200, 400],
  },
  {
    name: 'gohighlevel (signed): a body nested 20,000 deep',
    build: () => {
      const body = ghlContact(`"x":${deepObject(20_000)}`);
      return { path: GHL_PATH, body, headers: { 'x-wh-signature': ghlSig(body) } };
    },
    expect: [200, 400],
  },
  {
    name: 'whatsapp: one delivery holding 6,589 messages',
    build: () => {
      const body = whatsappBulk({ messages: 6_589 });
      return { path: WHATSAPP_PATH, body, headers: { 'x-hub-signature-256': whatsappSig(body) } };
    },
    expect: [200],
  },
  {
    name: 'whatsapp: one delivery holding 8,173 statuses',
    build: () => {
      const body = whatsappBulk({ statuses: 8_173 });
      return { path: WHATSAPP_PATH, body, headers: { 'x-hub-signature-256': whatsappSig(body) } };
    },
    expect: [200],
  },
  {
    name: 'whatsapp: one delivery holding 10,000 statuses',
    build: () => {
      const body = whatsappBulk({ statuses: 10_000 });
      return { path: WHATSAPP_PATH, body, headers: { 'x-hub-signature-256': whatsappSig(body) } };
    },
    expect: [200],
  },
  {
    name: 'google: a valid lead after a UTF-8 byte order mark',
    build: (ctx) =>
      to('google', ctx, bytes([0xef, 0xbb, 0xbf], googleLead(GOOGLE_KEY, nextId('bom'), { name: 'Bom Lead' }))),
    expect: [200],
  },
];

/** Unsigned deliveries to provider-level URLs with no routing key: 401 like any unverifiable delivery. */
export const NO_ROUTING_KEY_CASES: HostileCase[] = [
  ['meta', META_PATH, '{"object":"page","entry":[]}'],
  ['meta', META_PATH, '{"object":"page"}'],
  ['whatsapp', WHATSAPP_PATH, '{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[]}]}'],
  ['gohighlevel', GHL_PATH, '{"type":"ContactCreate","id":"x"}'],
  [
    'gohighlevel',
    GHL_PATH,
    ghlContact(`"x":${deepObject(20_000)}`).replace(`"locationId":"${GHL_CONFIG.locationId}",`, ''),
  ],
  ['gohighlevel (unsigned, routed)', GHL_PATH, ghlContact(`"x":${deepObject(20_000)}`)],
  ['linkedin', LINKEDIN_PATH, '{"type":"LEAD_ACTION","leadAction":"CREATED"}'],
].map(([who, path, body]) => ({
  category: 'routing' as const,
  name: `${who}: an unsigned POST with no (or an unverifiable) routing key`,
  build: () => ({ path, body }),
  expect: [401],
}));

NO_ROUTING_KEY_CASES.push({
  category: 'routing',
  name: 'meta: an unsigned POST whose page id is just under 1 MiB',
  build: () => ({
    path: META_PATH,
    body: `{"object":"page","entry":[{"id":"${'1'.repeat(MAX_BYTES - 100)}","changes":[]}]}`,
  }),
  expect: [401],
});
