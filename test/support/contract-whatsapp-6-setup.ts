// Shared setup of the contract-whatsapp-6-*.e2e-spec.ts parts (API.md WhatsApp, audit 6): each part boots
// its own app on the fake Graph API with the same fixtures, and uses the same request and seeding helpers.
import { createSubAccount, WHATSAPP_CONFIG } from './factories';
import { FakeWhatsAppGraph } from './fakes/whatsapp-graph';
import { createTestApp, TestApp } from './test-app';
import { approvedTemplate, BULK_TEMPLATE, BulkSetup, seedLead, whatsAppSetup } from './whatsapp-bulk';

export type Role = 'SUPER_ADMIN' | 'ADMIN' | 'MANAGER' | 'AGENT';
export type Method = 'get' | 'post' | 'delete';

export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
export const DIGITS = /^[0-9]+$/;

export const fieldsOf = (body: { details?: Array<{ field?: string }> }) => (body.details ?? []).map((d) => d.field);

export interface Audit6 {
  t: TestApp;
  fake: FakeWhatsAppGraph;
  s: BulkSetup;
  sub: number;
  foreignSub: number;
  marketingTemplateId: string;
  leadId: string;
  close(): Promise<void>;
}

/** The app on the fake Graph API, a sub-account with an active number, its templates, a lead and a stranger. */
export async function startAudit6(): Promise<Audit6> {
  const fake = await FakeWhatsAppGraph.start({
    accessToken: WHATSAPP_CONFIG.accessToken,
    appSecret: WHATSAPP_CONFIG.appSecret,
  });
  const t = await createTestApp({ env: { META_GRAPH_URL: fake.url } });
  const s = await whatsAppSetup(t, fake);
  const sub = s.subAccountId;
  const foreignSub = await createSubAccount(t, 'MAX', 'Audit6 Foreign');
  const marketingTemplateId = await approvedTemplate(t.sql, fake, sub, s.integrationId, {
    ...BULK_TEMPLATE,
    name: 'spring_sale',
    category: 'MARKETING',
  });
  const leadId = await seedLead(t.sql, sub, '+14155550601', 'Audit Six');
  const close = async () => {
    await t.close();
    await fake.close();
  };
  return { t, fake, s, sub, foreignSub, marketingTemplateId, leadId, close };
}

/** Request and seeding helpers over the part's app, read when called (after its beforeAll). */
export function audit6Helpers(get: () => Audit6) {
  const bearer = (role: Role, subs: number[] = [get().sub], user?: string) =>
    `Bearer ${get().t.token(role, subs, user)}`;
  const call = (method: Method, path: string, token: string, body?: object) => {
    const req = get().t.http[method](path).set('authorization', token);
    return body === undefined ? req : req.send(body);
  };

  /** A WhatsApp conversation whose contact last wrote `minutesAgo` minutes ago. */
  const conversation = async (
    subAccountId: number,
    integrationId: number,
    waId: string,
    minutesAgo: number,
    lead: string | null = null,
  ): Promise<string> => {
    const { t } = get();
    const { rows } = await t.sql.query<{ id: string }>(
      `INSERT INTO conversations (sub_account_id, integration_id, channel, contact_key, wa_id, phone, phone_normalized,
         profile_name, lead_id, last_message_at, last_inbound_at, unread_count, updated_at)
       VALUES ($1, $2, 'whatsapp', $3, $3, '+' || $3, '+' || $3, 'Probe', $4::bigint,
         now() - make_interval(mins => $5), now() - make_interval(mins => $5), 1, now())
       RETURNING id::text`,
      [subAccountId, integrationId, waId, lead, minutesAgo],
    );
    await t.sql.query(
      `INSERT INTO messages (sub_account_id, integration_id, conversation_id, channel, lead_id, direction, type, text,
         status, wamid, received_at, created_at, updated_at)
       VALUES ($1, $2, $3::bigint, 'whatsapp', $4::bigint, 'inbound', 'text', 'hello', 'received', $5,
         now() - make_interval(mins => $6), now() - make_interval(mins => $6), now())`,
      [subAccountId, integrationId, rows[0].id, lead, `wamid.in-${rows[0].id}`, minutesAgo],
    );
    return rows[0].id;
  };
  return { bearer, call, conversation };
}
