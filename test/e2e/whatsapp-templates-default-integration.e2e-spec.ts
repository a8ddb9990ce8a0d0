// API.md "WhatsApp": "`integrationId` may be left out when the sub-account has exactly one active
// WhatsApp integration". Template writes and syncs name no sub-account in their body, so they refused a
// request without integrationId (400) where sends and bulk sends took the sub-account's only number.
// Now `subAccountId` says which sub-account; a body that says neither (an empty one) is still refused,
// as is anything ambiguous.
import { createIntegration, WHATSAPP_CONFIG } from '../support/factories';
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { createTestApp, TestApp } from '../support/test-app';
import { activate } from '../support/webhooks';
import { BULK_TEMPLATE, whatsAppSetup } from '../support/whatsapp-bulk';

describe('WhatsApp templates without integrationId', () => {
  let t: TestApp;
  let fake: FakeWhatsAppGraph;

  beforeAll(async () => {
    fake = await FakeWhatsAppGraph.start({
      accessToken: WHATSAPP_CONFIG.accessToken,
      appSecret: WHATSAPP_CONFIG.appSecret,
    });
    t = await createTestApp({ env: { META_GRAPH_URL: fake.url } });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const post = (path: string, auth: string, body: Record<string, unknown>) =>
    t.http.post(path).set('authorization', auth).send(body);
  const fieldsOf = (body: { details?: Array<{ field?: string }> }): string[] =>
    (body.details ?? []).map((d) => d.field ?? '');

  it("creates and syncs on subAccountId's only active number", async () => {
    const wa = await whatsAppSetup(t, fake, { phoneNumberId: '106540352247001' });
    const manager = `Bearer ${t.token('MANAGER', [wa.subAccountId])}`;
    const created = await post('/api/whatsapp/templates', manager, {
      ...BULK_TEMPLATE,
      name: 'no_integration_given',
      subAccountId: wa.subAccountId,
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual(
      expect.objectContaining({ integrationId: wa.integrationId, name: 'no_integration_given', status: 'PENDING' }),
    );
    const synced = await post('/api/whatsapp/templates/sync', manager, { subAccountId: wa.subAccountId });
    expect(synced.status).toBe(202);
    expect(synced.body.jobId).toEqual(expect.any(String));
    // a super-admin, or a caller with several sub-accounts, says which the same way
    const superAdmin = `Bearer ${t.token('SUPER_ADMIN')}`;
    expect((await post('/api/whatsapp/templates/sync', superAdmin, { subAccountId: wa.subAccountId })).status).toBe(
      202,
    );
  });

  it('refuses a body that names neither, or null for either, with 400 naming the field', async () => {
    const wa = await whatsAppSetup(t, fake, { phoneNumberId: '106540352247002' });
    const manager = `Bearer ${t.token('MANAGER', [wa.subAccountId])}`;
    for (const [path, body, field] of [
      ['/api/whatsapp/templates/sync', {}, 'integrationId'],
      ['/api/whatsapp/templates', { ...BULK_TEMPLATE, name: 'neither' }, 'integrationId'],
      ['/api/whatsapp/templates/sync', { integrationId: null }, 'integrationId'],
      ['/api/whatsapp/templates/sync', { subAccountId: null }, 'subAccountId'],
      ['/api/whatsapp/templates', { ...BULK_TEMPLATE, name: 'nulls', integrationId: null }, 'integrationId'],
    ] as const) {
      const res = await post(path, manager, body);
      expect(res.status).toBe(400);
      expect(fieldsOf(res.body)).toContain(field);
    }
    const stored = await t.sql.query(
      "SELECT count(*)::int AS n FROM whatsapp_templates WHERE name IN ('neither', 'nulls')",
    );
    expect(stored.rows[0].n).toBe(0);
  });

  it('refuses what it cannot decide, and never reaches another tenant', async () => {
    const a = await whatsAppSetup(t, fake, { phoneNumberId: '106540352247004' });
    const other = await whatsAppSetup(t, fake, { phoneNumberId: '106540352247005' });
    const manager = `Bearer ${t.token('MANAGER', [a.subAccountId])}`;
    // another tenant's sub-account: 403, as any explicit subAccountId the caller may not act on
    const foreign = await post('/api/whatsapp/templates/sync', manager, { subAccountId: other.subAccountId });
    expect(foreign.status).toBe(403);
    // an integration that is not the named sub-account's: not found, as if it did not exist
    const mismatch = await post('/api/whatsapp/templates/sync', `Bearer ${t.token('SUPER_ADMIN')}`, {
      subAccountId: a.subAccountId,
      integrationId: other.integrationId,
    });
    expect(mismatch.status).toBe(404);
    // a second active number: which one is for the caller to say
    const second = await createIntegration(t, a.subAccountId, 'whatsapp-cloud', {
      ...WHATSAPP_CONFIG,
      phoneNumberId: '106540352247006',
      wabaId: '102290129347006',
    });
    await activate(t, a.subAccountId, second.id);
    const ambiguous = await post('/api/whatsapp/templates', manager, {
      ...BULK_TEMPLATE,
      name: 'two_numbers',
      subAccountId: a.subAccountId,
    });
    expect(ambiguous.status).toBe(400);
    expect(fieldsOf(ambiguous.body)).toEqual(['integrationId']);
    const named = await post('/api/whatsapp/templates', manager, {
      ...BULK_TEMPLATE,
      name: 'two_numbers',
      integrationId: second.id,
    });
    expect(named.status).toBe(201);
    expect(named.body.integrationId).toBe(second.id);
  });
});
