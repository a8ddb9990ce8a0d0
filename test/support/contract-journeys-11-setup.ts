// The app, fakes, sub-accounts, tokens, integrations and request helpers of audit 11's journeys
// (test/e2e/contract-journeys-11*.e2e-spec.ts), one app a part, in a sub-account whose local date is not the UTC
// date; and the deliveries the first part makes (and asserts), for the part that starts after them.
import { createIntegration, createSubAccount, CreatedIntegration, META_CONFIG } from './factories';
import { ProviderFakes } from './provider-fakes';
import { createTestApp, TestApp } from './test-app';
import {
  activate,
  eventsSettled,
  googleLead,
  metaLeadgen,
  metaSignature,
  postGeneric,
  settledEvent,
  waitFor,
} from './webhooks';

export type Json = Record<string, unknown>;
export const GOOGLE_KEY = 'journey-11-google-key';
export const GENERIC = {
  mapping: { email: '/email', fullName: '/name', phone: '/phone', campaignId: '/campaign' },
  externalIdPointer: '/id',
};
// a zone whose local date today is not the UTC date: +14 from 11:00 UTC, -11 before
export const ZONE = new Date().getUTCHours() >= 11 ? 'Pacific/Kiritimati' : 'Pacific/Pago_Pago';
export const localDate = (at: Date, timeZone = ZONE): string =>
  new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
export const utcDate = (at: Date): string => at.toISOString().slice(0, 10);
const offsetMs = ZONE === 'Pacific/Kiritimati' ? 14 * 3_600_000 : -11 * 3_600_000;
/** The instant of a local wall-clock time in ZONE (neither zone has DST). */
export const localInstant = (date: string, time: string): string =>
  new Date(Date.parse(`${date}T${time}Z`) - offsetMs).toISOString();

export interface Journeys11Fixture {
  t: TestApp;
  fakes: ProviderFakes;
  sub: number;
  other: number;
  admin: string;
  manager: string;
  agent: string;
  attacker: string;
  google: CreatedIntegration;
  generic: CreatedIntegration;
  meta: CreatedIntegration;
  foreignGeneric: CreatedIntegration;
  /** The sub-account's local date now (not the UTC date). */
  today: string;
  close(): Promise<void>;
}

export async function setupJourneys11(): Promise<Journeys11Fixture> {
  const fakes = await ProviderFakes.start();
  let t: TestApp | undefined;
  const close = async () => {
    await t?.close();
    await fakes.close();
  };
  try {
    fakes.page(META_CONFIG.pageAccessToken, META_CONFIG.pageId);
    t = await createTestApp({ env: { ...fakes.env, WEBHOOK_CACHE_TTL_MS: '0' } });
    const sub = await createSubAccount(t, 'MAX', 'Journey Eleven');
    const other = await createSubAccount(t, 'MAX', 'Attacker Eleven');
    const superAdmin = `Bearer ${t.token('SUPER_ADMIN')}`;
    const tz = await t.http.patch(`/api/sub-accounts/${sub}`).set('authorization', superAdmin).send({ timezone: ZONE });
    expect(tz.status).toBe(200);
    const admin = `Bearer ${t.token('ADMIN', [sub], 'admin-11')}`;
    const manager = `Bearer ${t.token('MANAGER', [sub], 'manager-11')}`;
    const agent = `Bearer ${t.token('AGENT', [sub], 'agent-11')}`;
    const attacker = `Bearer ${t.token('ADMIN', [other], 'attacker-11')}`;
    const google = await createIntegration(t, sub, 'google-ads-lead-forms', { googleKey: GOOGLE_KEY });
    const generic = await createIntegration(t, sub, 'generic-webhook', GENERIC);
    const meta = await createIntegration(t, sub, 'meta-lead-ads', META_CONFIG);
    const foreignGeneric = await createIntegration(t, other, 'generic-webhook', GENERIC);
    for (const i of [google, generic, meta]) await activate(t, sub, i.id);
    await activate(t, other, foreignGeneric.id);
    const today = localDate(new Date());
    const app = t;
    return {
      t: app,
      fakes,
      sub,
      other,
      admin,
      manager,
      agent,
      attacker,
      google,
      generic,
      meta,
      foreignGeneric,
      today,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The request helpers of the parts, on the fixture their beforeAll set (read when called). */
export function journeys11Helpers(fx: () => Journeys11Fixture) {
  const get = (path: string, token = fx().admin) => fx().t.http.get(path).set('authorization', token);
  const post = (path: string, body: string, headers: Record<string, string> = {}) => {
    let req = fx().t.http.post(path).set('content-type', 'application/json');
    for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
    return req.send(body);
  };
  const pathOf = (i: CreatedIntegration) => new URL(i.webhookUrl).pathname;
  const leadsOf = async (query: string, token = fx().admin) => {
    const res = await get(`/api/leads?${query}`, token);
    expect(res.status).toBe(200);
    return res.body as { items: Json[]; total: number; page: number; pageSize: number };
  };
  const expectError = (res: { status: number; body: Json }, status: number, code: string) => {
    expect([res.status, res.body.statusCode, res.body.code, typeof res.body.message]).toEqual([
      status,
      status,
      code,
      'string',
    ]);
  };
  return { get, post, pathOf, leadsOf, expectError };
}

/**
 * What the first part's sections 1 and 2 (signed deliveries, events and replay; contract-journeys-11.e2e-spec.ts,
 * which asserts every answer) leave, for the part that starts after them, by the same deliveries in the same
 * order: Ana by Google Ads, the generic tool and (her phone written another way) Meta; Bea by Meta; Cai by a
 * Meta lead FAILED until the Graph API reads it, then replayed (twice); Ana Elsewhere in the other sub-account.
 */
export async function deliverJourney11(fx: Journeys11Fixture): Promise<void> {
  const { t, fakes, google, generic, foreignGeneric, manager, admin } = fx;
  const { post, pathOf } = journeys11Helpers(() => fx);
  const expectStatus = (res: { status: number; body: Json }, status: number, what: string) => {
    if (res.status !== status) throw new Error(`${what} answered ${res.status} ${JSON.stringify(res.body)}`);
  };
  const sig = (b: string) => ({ 'x-hub-signature-256': metaSignature(b, META_CONFIG.appSecret) });
  // 1. signed deliveries
  const google1 = googleLead(GOOGLE_KEY, 'g11-1', {
    name: 'Ana Lima',
    email: 'Ana.Lima@Example.com',
    phone: '+1 650 555 0111',
  });
  expectStatus(await post(pathOf(google), google1), 200, 'the Google Ads lead');
  await eventsSettled(t);
  const payload = { id: 'f11-1', email: 'ana.lima@example.com', name: 'Ana Lima', phone: '(650) 555-0111' };
  expectStatus(await postGeneric(t, generic, payload), 200, 'the generic form');
  expectStatus(await postGeneric(t, foreignGeneric, { ...payload, name: 'Ana Elsewhere' }), 200, 'the other form');
  await eventsSettled(t);
  const leadOf = (id: string, email: string, phone: string) => ({
    status: 200,
    body: {
      id,
      created_time: new Date().toISOString().replace('Z', '+0000'),
      form_id: '11000000000011',
      ad_id: '23851100000000011',
      adset_id: '23851100000000012',
      campaign_id: '23851100000000013',
      campaign_name: 'Journey 11',
      is_organic: false,
      field_data: [
        { name: 'email', values: [email] },
        { name: 'phone_number', values: [phone] },
        { name: 'full_name', values: ['Meta Person'] },
      ],
    },
  });
  fakes.graph.on('GET', '/110000000001', () => leadOf('110000000001', 'bea@example.com', '+16505550222'));
  // the phone of Ana's lead written another way: the same person
  fakes.graph.on('GET', '/110000000002', () => leadOf('110000000002', 'ana.other@example.com', '650-555-0111'));
  const two = metaLeadgen(META_CONFIG.pageId, ['110000000001', '110000000002']);
  expectStatus(await post('/api/webhooks/meta-lead-ads', two, sig(two)), 200, 'the two Meta leads');
  await eventsSettled(t);
  // 2. events and replay
  const body = metaLeadgen(META_CONFIG.pageId, ['110000000009']);
  const res = await post('/api/webhooks/meta-lead-ads', body, sig(body));
  expectStatus(res, 200, 'the Meta lead the Graph API cannot read');
  if ((await settledEvent(t, res.body.eventId as string)).status !== 'FAILED')
    throw new Error('the Meta lead did not fail');
  const replay = (token: string) =>
    t.http.post(`/api/webhook-events/${res.body.eventId}/replay`).set('authorization', token);
  fakes.graph.on('GET', '/110000000009', () => ({
    status: 200,
    body: {
      id: '110000000009',
      created_time: new Date().toISOString().replace('Z', '+0000'),
      form_id: '11000000000011',
      field_data: [{ name: 'email', values: ['cai@example.com'] }],
    },
  }));
  expectStatus(await replay(manager), 202, 'the replay');
  await waitFor(async () => (await settledEvent(t, res.body.eventId as string)).status === 'PROCESSED');
  expectStatus(await replay(admin), 202, 'the second replay');
  await eventsSettled(t);
}
