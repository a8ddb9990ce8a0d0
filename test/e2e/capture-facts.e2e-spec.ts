// Issue 13 point 1: capturing a lead from a conversation (WhatsApp, Messenger, Instagram) is a status
// change like PATCH /api/leads/:id — the lead moves NEW → CONTACTED with an append-only fact
// { from, to, at, by } that the analytics count — once per conversation, never undoing a later status,
// and nothing for another sub-account's token.
import { createIntegration, createSubAccount, WHATSAPP_CONFIG } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';

const MESSENGER = { pageAccessToken: 'EAAG-capture-1', appSecret: 'capture-secret-1', verifyToken: 'capture-verify-1' };
const INSTAGRAM = { accessToken: 'EAAG-capture-ig-2', appSecret: 'capture-secret-2', verifyToken: 'capture-verify-2' };
const ZONE = 'Asia/Kolkata';

interface HistoryEntry {
  from: string | null;
  to: string;
  at: string;
  by: string;
  origin: string;
}

describe('conversation capture records a status fact', () => {
  let t: TestApp;
  let sub: number;
  let other: number;
  let agent: string;
  let admin: string;
  let stranger: string;
  const conv: Record<string, string> = {};

  const conversation = async (
    integrationId: number,
    channel: string,
    contact: { key: string; waId?: string; phone?: string; name: string },
  ): Promise<string> => {
    const { rows } = await t.sql.query<{ id: string }>(
      `INSERT INTO conversations (sub_account_id, integration_id, channel, contact_key, wa_id, user_id, phone,
         phone_normalized, profile_name, last_message_at, last_inbound_at, unread_count, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, now(), now(), 1, now()) RETURNING id::text`,
      [
        sub,
        integrationId,
        channel,
        contact.key,
        contact.waId ?? null,
        channel === 'whatsapp' ? null : contact.key,
        contact.phone ?? null,
        contact.name,
      ],
    );
    return rows[0].id;
  };

  beforeAll(async () => {
    t = await createTestApp();
    sub = await createSubAccount(t, 'PRO', 'Capture Co');
    other = await createSubAccount(t, 'PRO', 'Capture Other');
    agent = `Bearer ${t.token('AGENT', [sub], 'agent-42')}`;
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
    stranger = `Bearer ${t.token('ADMIN', [other], 'stranger-1')}`;
    const tz = await t.http.patch(`/api/sub-accounts/${sub}`).set('authorization', admin).send({ timezone: ZONE });
    expect(tz.status).toBe(200);
    const wa = await createIntegration(t, sub, 'whatsapp-cloud', WHATSAPP_CONFIG);
    const fb = await createIntegration(t, sub, 'facebook-messenger', { ...MESSENGER, pageId: '200000000000011' });
    const ig = await createIntegration(t, sub, 'instagram-direct', {
      ...INSTAGRAM,
      instagramAccountId: '17841400000000011',
      pageId: '200000000000012',
    });
    conv.whatsapp = await conversation(wa.id, 'whatsapp', {
      key: '5511987650001',
      waId: '5511987650001',
      phone: '+5511987650001',
      name: 'Wanda',
    });
    conv.messenger = await conversation(fb.id, 'messenger', { key: '6500000000000101', name: 'Mario' });
    conv.instagram = await conversation(ig.id, 'instagram', { key: '1090000000000101', name: 'Iris' });
    // a person already QUALIFIED in the CRM writes on WhatsApp: capture finds the lead by phone
    const quinn = await t.http
      .post('/api/leads')
      .set('authorization', admin)
      .send({ subAccountId: sub, fullName: 'Quinn', phone: '+5511987650002' });
    expect(quinn.status).toBe(201);
    conv.qualified = await conversation(wa.id, 'whatsapp', {
      key: '5511987650002',
      waId: '5511987650002',
      phone: '+5511987650002',
      name: 'Quinn',
    });
  });
  afterAll(() => t.close());

  const history = async (leadId: string): Promise<HistoryEntry[]> => {
    const res = await t.http.get(`/api/leads/${leadId}/history`).set('authorization', admin);
    expect(res.status).toBe(200);
    return res.body as HistoryEntry[];
  };

  it('WhatsApp capture (its own route) moves the new lead NEW → CONTACTED with a fact by the agent', async () => {
    const res = await t.http
      .post(`/api/whatsapp/conversations/${conv.whatsapp}/capture-lead`)
      .set('authorization', agent)
      .send({ email: 'wanda@example.com' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'CONTACTED', phone: '+5511987650001' });
    const facts = await history(res.body.id as string);
    expect(facts).toEqual([
      {
        id: expect.any(String),
        from: 'NEW',
        to: 'CONTACTED',
        at: expect.any(String),
        by: 'agent-42',
        origin: 'whatsapp-capture',
      },
    ]);
    // idempotent: a second capture finds the lead and records nothing more
    const again = await t.http
      .post(`/api/whatsapp/conversations/${conv.whatsapp}/capture-lead`)
      .set('authorization', agent)
      .send({});
    expect([again.status, again.body.id]).toEqual([200, res.body.id]);
    expect(await history(res.body.id as string)).toHaveLength(1);
  });

  it('Messenger and Instagram captures (the channel-neutral route) record the same fact', async () => {
    for (const channel of ['messenger', 'instagram'] as const) {
      const res = await t.http
        .post(`/api/conversations/${conv[channel]}/capture-lead`)
        .set('authorization', agent)
        .send({});
      expect(res.status).toBe(201);
      expect(res.body.status).toBe('CONTACTED');
      expect((await history(res.body.id as string)).map((f) => [f.from, f.to, f.by, f.origin])).toEqual([
        ['NEW', 'CONTACTED', 'agent-42', `${channel}-capture`],
      ]);
    }
  });

  it('never undoes a later status: a QUALIFIED lead found by phone stays QUALIFIED, no fact', async () => {
    const lead = await t.sql.query<{ id: string }>(
      `SELECT id::text FROM leads WHERE sub_account_id = $1 AND phone = '+5511987650002'`,
      [sub],
    );
    const leadId = lead.rows[0].id;
    const patched = await t.http
      .patch(`/api/leads/${leadId}`)
      .set('authorization', agent)
      .send({ status: 'QUALIFIED' });
    expect(patched.status).toBe(200);
    const res = await t.http
      .post(`/api/whatsapp/conversations/${conv.qualified}/capture-lead`)
      .set('authorization', agent)
      .send({});
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: leadId, status: 'QUALIFIED' });
    expect((await history(leadId)).map((f) => [f.from, f.to, f.origin])).toEqual([['NEW', 'QUALIFIED', 'api']]);
  });

  it('the analytics count the captures as transitions on the local day', async () => {
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(new Date());
    const overview = await t.http
      .get(`/api/analytics/overview?subAccountId=${sub}&from=${today}&to=${today}`)
      .set('authorization', admin);
    expect(overview.status).toBe(200);
    // three captured leads CONTACTED, Quinn QUALIFIED; nobody left NEW
    expect(overview.body.byStatus).toMatchObject({ NEW: 0, CONTACTED: 3, QUALIFIED: 1 });
    const series = await t.http
      .get(
        `/api/analytics/timeseries?subAccountId=${sub}&from=${today}&to=${today}&granularity=day&metric=newLeads&groupBy=status`,
      )
      .set('authorization', admin);
    expect(series.status).toBe(200);
    const contacted = (series.body.series as { key: string; points: { value: number }[] }[]).find(
      (s) => s.key === 'CONTACTED',
    );
    expect(contacted?.points.map((p) => p.value)).toEqual([3]);
  });

  it('another sub-account’s token captures nothing', async () => {
    const before = await t.sql.query<{ n: string }>('SELECT count(*)::text AS n FROM lead_status_changes');
    for (const path of [
      `/api/whatsapp/conversations/${conv.whatsapp}/capture-lead`,
      `/api/conversations/${conv.messenger}/capture-lead`,
    ]) {
      const res = await t.http.post(path).set('authorization', stranger).send({});
      expect(res.status).toBe(404);
    }
    const after = await t.sql.query<{ n: string }>('SELECT count(*)::text AS n FROM lead_status_changes');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });
});
