// Part of "concurrent requests from the CRM" (header in concurrency.e2e-spec.ts): WhatsApp templates, bulk
// controls, conversation links and a deleted integration racing sends; the shared setup is in
// test/support/concurrency-setup.ts.
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { TestApp } from '../support/test-app';
import { waitFor } from '../support/webhooks';
import { BULK_TEMPLATE, seedLead, seedLeads, whatsAppSetup } from '../support/whatsapp-bulk';
import { ConcurrencyFixture, setupConcurrency, statuses } from '../support/concurrency-setup';

describe('concurrent requests from the CRM', () => {
  let fx: ConcurrencyFixture;
  let t: TestApp;
  let fake: FakeWhatsAppGraph;

  beforeAll(async () => {
    fx = await setupConcurrency();
    ({ t, fake } = fx);
  });
  afterAll(() => fx?.close());

  describe('WhatsApp', () => {
    it('POST /api/whatsapp/templates twice at once: one template, the other answer a clean 4xx', async () => {
      const wa = await whatsAppSetup(t, fake, { phoneNumberId: '106540352241111' });
      const manager = `Bearer ${t.token('MANAGER', [wa.subAccountId])}`;
      const answers = await Promise.all(
        [0, 1, 2].map(() =>
          t.http
            .post('/api/whatsapp/templates')
            .set('authorization', manager)
            .send({ integrationId: wa.integrationId, ...BULK_TEMPLATE, name: 'double_click' }),
        ),
      );
      const codes = statuses(answers);
      expect(codes.filter((c) => c === 201)).toHaveLength(1);
      // the second reaches Meta, which refuses the name (sequentially it is our 409 before Meta is asked)
      for (const a of answers.filter((x) => x.status !== 201)) expect([400, 409]).toContain(a.status);
      const { rows } = await t.sql.query("SELECT id FROM whatsapp_templates WHERE name = 'double_click'");
      expect(rows).toHaveLength(1);
    });

    it('bulk cancel, pause and resume racing each other: each 200 or 409, and a cancelled bulk keeps nothing pending', async () => {
      const wa = await whatsAppSetup(t, fake, { phoneNumberId: '106540352242222' });
      const manager = `Bearer ${t.token('MANAGER', [wa.subAccountId])}`;
      const leadIds = await seedLeads(t.sql, wa.subAccountId, 40, 5000);
      for (let round = 0; round < 4; round++) {
        const bulk = await t.http
          .post('/api/whatsapp/bulk')
          .set('authorization', manager)
          .send({
            subAccountId: wa.subAccountId,
            leadIds,
            template: { id: wa.templateId },
            parameters: { '1': 'x' },
            scheduledAt: new Date(Date.now() + 3600_000).toISOString(),
          });
        expect(bulk.status).toBe(202);
        const id = bulk.body.id as string;
        const actions = ['pause', 'cancel', 'resume', 'pause', 'resume', 'cancel'];
        const answers = await Promise.all(
          actions.map((a) => t.http.post(`/api/whatsapp/bulk/${id}/${a}`).set('authorization', manager)),
        );
        for (const a of answers) expect([200, 409]).toContain(a.status);
        const view = await t.http.get(`/api/whatsapp/bulk/${id}`).set('authorization', manager);
        expect(view.body.status).toBe('cancelled');
        expect(view.body.counts.pending).toBe(0);
      }
    });

    it('a conversation linked to two leads at once (two tabs), or linked and unlinked at once: its messages are on the linked lead only', async () => {
      const phoneId = '106540352243333';
      const wa = await whatsAppSetup(t, fake, { phoneNumberId: phoneId });
      const agent = `Bearer ${t.token('AGENT', [wa.subAccountId])}`;
      const hooks = fake.webhooks(phoneId);
      const interactions = async (leadId: string): Promise<number> =>
        ((await t.http.get(`/api/leads/${leadId}`).set('authorization', agent)).body.interactions as unknown[]).length;
      for (let round = 0; round < 6; round++) {
        const waId = `1415555${String(round).padStart(4, '0')}`;
        const delivery = hooks.inboundText({ from: waId, name: 'Eve', text: `hello ${round}` });
        const res = await t.http.post('/api/webhooks/whatsapp-cloud').set(delivery.headers).send(delivery.rawBody);
        expect(res.status).toBe(200);
        const conversation = await waitFor(async () => {
          const list = await t.http
            .get(`/api/whatsapp/conversations?subAccountId=${wa.subAccountId}&q=${waId}`)
            .set('authorization', agent);
          return (list.body.items as Array<{ id: string; contact: { waId: string } }>).find(
            (c) => c.contact.waId === waId,
          );
        });
        const leadA = await seedLead(t.sql, wa.subAccountId, null, `A${round}`);
        const leadB = await seedLead(t.sql, wa.subAccountId, null, `B${round}`);
        const link = (leadId: string) =>
          t.http
            .post(`/api/whatsapp/conversations/${conversation.id}/link`)
            .set('authorization', agent)
            .send({ leadId });
        const answers =
          round % 2 === 0
            ? await Promise.all([link(leadA), link(leadB)])
            : await Promise.all([
                link(leadA),
                t.http.delete(`/api/whatsapp/conversations/${conversation.id}/link`).set('authorization', agent),
              ]);
        for (const a of answers) expect(a.status).toBe(200);
        const after = await t.http.get(`/api/whatsapp/conversations/${conversation.id}`).set('authorization', agent);
        const linkedTo = after.body.conversation?.leadId ?? after.body.leadId;
        expect({ linkedTo, a: await interactions(leadA), b: await interactions(leadB) }).toEqual({
          linkedTo,
          a: linkedTo === leadA ? 1 : 0,
          b: linkedTo === leadB ? 1 : 0,
        });
      }
    });

    it('DELETE of the WhatsApp integration racing a send, a bulk and a template: each answers cleanly, never 500', async () => {
      const clean = [200, 201, 202, 204, 400, 404, 409, 422, 502];
      for (let round = 0; round < 6; round++) {
        const wa = await whatsAppSetup(t, fake, { phoneNumberId: `10654035225${String(round).padStart(4, '0')}` });
        const manager = `Bearer ${t.token('ADMIN', [wa.subAccountId])}`;
        const [leadId] = await seedLeads(t.sql, wa.subAccountId, 1, 7000 + round);
        const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
        const answers = await Promise.all([
          later(round % 3).then(() =>
            t.http.delete(`/api/integrations/${wa.integrationId}`).set('authorization', manager),
          ),
          t.http
            .post('/api/whatsapp/messages')
            .set('authorization', manager)
            .send({
              subAccountId: wa.subAccountId,
              integrationId: wa.integrationId,
              leadId,
              template: { id: wa.templateId },
              parameters: { '1': 'x' },
            }),
          t.http
            .post('/api/whatsapp/bulk')
            .set('authorization', manager)
            .send({
              subAccountId: wa.subAccountId,
              integrationId: wa.integrationId,
              leadIds: [leadId],
              template: { id: wa.templateId },
              parameters: { '1': 'x' },
            }),
          t.http
            .post('/api/whatsapp/templates')
            .set('authorization', manager)
            .send({ integrationId: wa.integrationId, ...BULK_TEMPLATE, name: `gone_${round}` }),
          t.http
            .post('/api/whatsapp/templates/sync')
            .set('authorization', manager)
            .send({ integrationId: wa.integrationId }),
        ]);
        const labels = ['delete', 'send', 'bulk', 'template', 'sync'];
        const unclean = answers
          .map((a, i) => ({ request: labels[i], status: a.status, code: a.body?.code as string | undefined }))
          .filter((a) => !clean.includes(a.status));
        expect(unclean).toEqual([]);
      }
    });

    it('auto-link racing an agent linking by hand: the link by hand stands (auto-link only links what is unlinked)', async () => {
      const phoneId = '106540352244444';
      const wa = await whatsAppSetup(t, fake, { phoneNumberId: phoneId });
      const agent = `Bearer ${t.token('AGENT', [wa.subAccountId])}`;
      const hooks = fake.webhooks(phoneId);
      for (let round = 0; round < 8; round++) {
        const waIds = Array.from({ length: 4 }, (_, i) => `1646555${round}${String(i).padStart(3, '0')}`);
        for (const waId of waIds) {
          const delivery = hooks.inboundText({ from: waId, name: 'Flo', text: 'hi' });
          expect(
            (await t.http.post('/api/webhooks/whatsapp-cloud').set(delivery.headers).send(delivery.rawBody)).status,
          ).toBe(200);
        }
        const conversations = await waitFor(async () => {
          const list = await t.http
            .get(`/api/whatsapp/conversations?subAccountId=${wa.subAccountId}&linked=false&pageSize=200`)
            .set('authorization', agent);
          const found = (list.body.items as Array<{ id: string; contact: { waId: string } }>).filter((c) =>
            waIds.includes(c.contact.waId),
          );
          return found.length === waIds.length ? found : undefined;
        });
        // leads with the contacts' phones appear only now (the CRM imported them): auto-link has work to do
        for (const waId of waIds) {
          const id = await seedLead(t.sql, wa.subAccountId, `+${waId}`, `Phone ${waId}`);
          await t.sql.query('INSERT INTO lead_identities (sub_account_id, key, lead_id) VALUES ($1, $2, $3)', [
            wa.subAccountId,
            `phone:+${waId}`,
            id,
          ]);
        }
        const chosen = await seedLead(t.sql, wa.subAccountId, null, `Chosen ${round}`);
        const target = conversations[round % conversations.length];
        const [auto, manual] = await Promise.all([
          t.http
            .post('/api/whatsapp/conversations/auto-link')
            .set('authorization', agent)
            .send({ subAccountId: wa.subAccountId }),
          new Promise((resolve) => setTimeout(resolve, round)).then(() =>
            t.http
              .post(`/api/whatsapp/conversations/${target.id}/link`)
              .set('authorization', agent)
              .send({ leadId: chosen }),
          ),
        ]);
        expect([auto.status, manual.status]).toEqual([200, 200]);
        const after = await t.sql.query<{ lead_id: string }>('SELECT lead_id::text FROM conversations WHERE id = $1', [
          target.id,
        ]);
        expect(after.rows[0].lead_id).toBe(chosen);
      }
    });
  });
});
