// API.md "WhatsApp": "`integrationId` may be left out when the sub-account has exactly one active
// WhatsApp integration". Template writes and syncs name no sub-account in their body, so they refused a
// request without integrationId (400) where sends and bulk sends took the sub-account's only number.
// Now `subAccountId`, or the caller's only sub-account, says which; anything ambiguous is refused.
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

  it("creates and syncs on the caller's only sub-account's only active number", async () => {
    const wa = await whatsAppSetup(t, fake, { phoneNumberId: '106540352247001' });
    const manager = `Bearer ${t.token('MANAGER', [wa.subAccountId])}`;
    const created = await post('/api/whatsapp/templates', manager, { ...BULK_TEMPLATE, name: 'no_integration_given' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual(
      expect.objectContaining({ integrationId: wa.integrationId, name: 'no_integration_given', status: 'PENDING' }),
    );
    const synced = await post('/api/whatsapp/templates/sync', manager, {});
    expect(synced.status).toBe(202);
    expect(synced.body.jobId).toEqual(expect.any(String));
  });

  it('takes subAccountId to say which sub-account, for a caller with several (and a super-admin)', async () => {
    const a = await whatsAppSetup(t, fake, { phoneNumberId: '106540352247002' });
    const b = await whatsAppSetup(t, fake, { phoneNumberId: '106540352247003' });
    const both = `Bearer ${t.token('ADMIN', [a.subAccountId, b.subAccountId])}`;
    const unsaid = await post('/api/whatsapp/templates', both, { ...BULK_TEMPLATE, name: 'which_one' });
    expect(unsaid.status).toBe(400);
    expect(fieldsOf(unsaid.body)).toEqual(['integrationId']);
    const said = await post('/api/whatsapp/templates', both, {
      ...BULK_TEMPLATE,
      name: 'which_one',
      subAccountId: b.subAccountId,
    });
    expect(said.status).toBe(201);
    expect(said.body.integrationId).toBe(b.integrationId);
    const superAdmin = `Bearer ${t.token('SUPER_ADMIN')}`;
    expect((await post('/api/whatsapp/templates/sync', superAdmin, {})).status).toBe(400);
    expect((await post('/api/whatsapp/templates/sync', superAdmin, { subAccountId: a.subAccountId })).status).toBe(202);
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
    const ambiguous = await post('/api/whatsapp/templates', manager, { ...BULK_TEMPLATE, name: 'two_numbers' });
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
