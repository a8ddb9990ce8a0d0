// Shared setup of the contract-channels-*.e2e-spec.ts parts (API.md channels, analytics, reports, OAuth): each
// part boots its own app on the fake Graph API with the same seeded conversations, messages and bulk send.
import { WHATSAPP_CONFIG } from './factories';
import { FakeWhatsAppGraph } from './fakes/whatsapp-graph';
import { createTestApp, TestApp } from './test-app';
import { approvedTemplate, BulkSetup, seedLead, whatsAppSetup } from './whatsapp-bulk';

export type Role = 'SUPER_ADMIN' | 'ADMIN' | 'MANAGER' | 'AGENT';
export type Method = 'get' | 'post' | 'delete';

export interface Channels {
  t: TestApp;
  fake: FakeWhatsAppGraph;
  s: BulkSetup;
  sub: number;
  pendingTemplateId: string;
  leadId: string;
  conv: Record<'linked' | 'unlinked', string>;
  msg: Record<'inbound' | 'mine' | 'theirs' | 'older', string>;
  bulkId: string;
  close(): Promise<void>;
}

/** Request helpers over the part's app, read when called (after its beforeAll). */
export function channelsHelpers(get: () => Pick<Channels, 't' | 's'>) {
  const bearer = (role: Role, sub?: string) =>
    `Bearer ${get().t.token(role, role === 'SUPER_ADMIN' ? [] : [get().s.subAccountId], sub)}`;
  const call = (method: Method, path: string, token: string, body?: object) => {
    const req = get().t.http[method](path).set('authorization', token);
    return body === undefined ? req : req.send(body);
  };
  return { bearer, call };
}

/**
 * The app on the fake Graph API; a sub-account with an approved and a PENDING template, a lead, a linked
 * and an unlinked conversation with four messages (seeded in SQL, as messaging-inbox does) and a bulk send
 * scheduled an hour ahead.
 */
export async function startChannels(): Promise<Channels> {
  const fake = await FakeWhatsAppGraph.start({
    accessToken: WHATSAPP_CONFIG.accessToken,
    appSecret: WHATSAPP_CONFIG.appSecret,
  });
  const t = await createTestApp({ env: { META_GRAPH_URL: fake.url } });
  const close = async () => {
    await t.close();
    await fake.close();
  };
  const s = await whatsAppSetup(t, fake);
  const { bearer, call } = channelsHelpers(() => ({ t, s }));

  const conversation = async (
    key: string,
    lead: string | null,
    minutesAgo: number,
    profileName: string,
  ): Promise<string> => {
    const { rows } = await t.sql.query<{ id: string }>(
      `INSERT INTO conversations (sub_account_id, integration_id, channel, contact_key, wa_id, phone, phone_normalized,
         profile_name, lead_id, last_message_at, last_inbound_at, unread_count, updated_at)
       VALUES ($1, $2, 'whatsapp', $3, $3, '+' || $3, '+' || $3, $4, $5::bigint,
         now() - make_interval(mins => $6), now() - make_interval(mins => $6), 1, now())
       RETURNING id::text`,
      [s.subAccountId, s.integrationId, key, profileName, lead, minutesAgo],
    );
    return rows[0].id;
  };
  const message = async (
    conversationId: string,
    direction: 'inbound' | 'outbound',
    status: string,
    minutesAgo: number,
    sentBy: string | null,
    lead: string | null,
  ): Promise<string> => {
    const { rows } = await t.sql.query<{ id: string }>(
      `INSERT INTO messages (sub_account_id, integration_id, conversation_id, channel, lead_id, direction, type, text,
         status, sent_by, sent_at, received_at, created_at, updated_at)
       VALUES ($1, $2, $3::bigint, 'whatsapp', $4::bigint, $5, 'text', 'hi', $6, $7,
         CASE WHEN $5 = 'outbound' THEN now() - make_interval(mins => $8) END,
         CASE WHEN $5 = 'inbound' THEN now() - make_interval(mins => $8) END,
         now() - make_interval(mins => $8), now())
       RETURNING id::text`,
      [s.subAccountId, s.integrationId, conversationId, lead, direction, status, sentBy, minutesAgo],
    );
    return rows[0].id;
  };

  const sub = s.subAccountId;
  const pendingTemplateId = await approvedTemplate(
    t.sql,
    fake,
    sub,
    s.integrationId,
    {
      name: 'promo_beta',
      language: 'pt_BR',
      category: 'MARKETING',
      components: [{ type: 'BODY', text: 'Oi {{1}}', example: { body_text: [['Ana']] } }],
    },
    'PENDING',
  );
  const leadId = await seedLead(t.sql, sub, '+14155550101', 'Linked Lead');
  const conv = { linked: '', unlinked: '' };
  conv.linked = await conversation('14155550101', leadId, 30, 'Linda');
  conv.unlinked = await conversation('14155550202', null, 10, 'Ulrich');
  const msg = { inbound: '', mine: '', theirs: '', older: '' };
  msg.older = await message(conv.linked, 'inbound', 'received', 40, null, leadId);
  msg.inbound = await message(conv.linked, 'inbound', 'received', 30, null, leadId);
  msg.mine = await message(conv.linked, 'outbound', 'delivered', 20, 'agent-me', leadId);
  msg.theirs = await message(conv.unlinked, 'outbound', 'failed', 10, 'agent-other', null);
  const bulk = await call('post', '/api/whatsapp/bulk', bearer('MANAGER'), {
    subAccountId: sub,
    leadIds: [leadId],
    template: { id: s.templateId },
    parameters: { '1': 'x' },
    scheduledAt: new Date(Date.now() + 3_600_000).toISOString(),
  });
  if (bulk.status !== 202) throw new Error(`bulk: ${bulk.status} ${JSON.stringify(bulk.body)}`);
  const bulkId = bulk.body.id as string;
  return { t, fake, s, sub, pendingTemplateId, leadId, conv, msg, bulkId, close };
}
