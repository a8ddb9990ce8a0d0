// A CRM frontend that double-clicks, retries on a timeout and runs several tabs: the same request twice
// at the same moment, or two writes to one record at once, over the REST API. Never a 500, never a
// duplicate where API.md implies one record, never a lost update.
import { createIntegration, createSubAccount, WHATSAPP_CONFIG } from '../support/factories';
import { FakeOAuthServer } from '../support/fakes/oauth-server';
import { FakeWhatsAppGraph } from '../support/fakes/whatsapp-graph';
import { connectGhlOAuth } from '../support/oauth';
import { ProviderFakes } from '../support/provider-fakes';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, genericSignature, waitFor } from '../support/webhooks';
import { BULK_TEMPLATE, seedLead, seedLeads, whatsAppSetup } from '../support/whatsapp-bulk';

const REPORT_CONFIG = { metrics: ['totalLeads', 'newLeads'], groupBy: ['source'], dateRange: 'LAST_7_DAYS' };

describe('concurrent requests from the CRM', () => {
  let t: TestApp;
  let fake: FakeWhatsAppGraph;
  let sub: number;
  let admin: string;

  beforeAll(async () => {
    fake = await FakeWhatsAppGraph.start({
      accessToken: WHATSAPP_CONFIG.accessToken,
      appSecret: WHATSAPP_CONFIG.appSecret,
    });
    t = await createTestApp({ env: { META_GRAPH_URL: fake.url } });
    sub = await createSubAccount(t, 'PRO', 'Race Co');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  const statuses = (responses: ReadonlyArray<{ status: number }>): number[] => responses.map((r) => r.status).sort();

  it('POST /api/whatsapp/opt-outs twice at once for one number: one entry, no 500', async () => {
    const create = () =>
      t.http
        .post('/api/whatsapp/opt-outs')
        .set('authorization', admin)
        .send({ subAccountId: sub, phone: '+14155550999', scope: 'all' });
    const answers = await Promise.all(Array.from({ length: 6 }, create));
    expect(statuses(answers)).toEqual([201, 201, 201, 201, 201, 201]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    const { rows } = await t.sql.query('SELECT id FROM whatsapp_opt_outs WHERE sub_account_id = $1', [sub]);
    expect(rows).toHaveLength(1);
  });

  it('POST /api/leads twice at once for one person: one lead (201 and 200)', async () => {
    const create = () =>
      t.http
        .post('/api/leads')
        .set('authorization', admin)
        .send({ subAccountId: sub, fullName: 'Grace Hopper', email: 'grace@navy.example', phone: '+14155550777' });
    const answers = await Promise.all(Array.from({ length: 6 }, create));
    expect(statuses(answers)).toEqual([200, 200, 200, 200, 200, 201]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
  });

  it('PATCH /api/leads/:id status from several tabs at once: every change recorded once, chained in time order', async () => {
    const targets = ['CONTACTED', 'QUALIFIED', 'CONVERTED', 'LOST', 'CONTACTED', 'QUALIFIED', 'CONTACTED', 'LOST'];
    for (let round = 0; round < 5; round++) {
      const created = await t.http
        .post('/api/leads')
        .set('authorization', admin)
        .send({ subAccountId: sub, fullName: `Alan Turing ${round}`, email: `alan${round}@bletchley.example` });
      const id = created.body.id as string;
      const answers = await Promise.all(
        targets.map((status) => t.http.patch(`/api/leads/${id}`).set('authorization', admin).send({ status })),
      );
      expect(new Set(statuses(answers))).toEqual(new Set([200]));
      // the history as the API lists it (by `at`): each change starts where the one before it ended
      const history = await t.http.get(`/api/leads/${id}/history`).set('authorization', admin);
      const chain = history.body as Array<{ from: string | null; to: string }>;
      expect(chain[0].from).toBe('NEW');
      for (let i = 1; i < chain.length; i++) expect(chain[i].from).toBe(chain[i - 1].to);
      const lead = await t.http.get(`/api/leads/${id}`).set('authorization', admin);
      expect(lead.body.status).toBe(chain[chain.length - 1].to);
    }
  });

  describe('report templates', () => {
    const createTemplate = async (): Promise<number> => {
      const res = await t.http
        .post('/api/report-templates')
        .set('authorization', admin)
        .send({ subAccountId: sub, name: 'Weekly', type: 'SOURCE', config: REPORT_CONFIG, format: 'PDF' });
      expect(res.status).toBe(201);
      return res.body.id as number;
    };

    it('PATCH from two tabs changing different fields at once: both changes kept', async () => {
      for (let round = 0; round < 5; round++) {
        const id = await createTemplate();
        const [a, b] = await Promise.all([
          t.http
            .patch(`/api/report-templates/${id}`)
            .set('authorization', admin)
            .send({ name: `Renamed ${round}` }),
          t.http
            .patch(`/api/report-templates/${id}`)
            .set('authorization', admin)
            .send({ description: `Described ${round}` }),
        ]);
        expect([a.status, b.status]).toEqual([200, 200]);
        const after = await t.http.get(`/api/report-templates/${id}`).set('authorization', admin);
        expect(after.body).toMatchObject({ name: `Renamed ${round}`, description: `Described ${round}` });
      }
    });

    it('PATCH or generate racing a DELETE: 404 or success, never 500', async () => {
      for (let round = 0; round < 8; round++) {
        const id = await createTemplate();
        const answers = await Promise.all([
          t.http
            .patch(`/api/report-templates/${id}`)
            .set('authorization', admin)
            .send({ name: `Late ${round}` }),
          t.http.post(`/api/report-templates/${id}/generate`).set('authorization', admin).send({}),
          t.http.delete(`/api/report-templates/${id}`).set('authorization', admin),
        ]);
        for (const a of answers) expect([200, 202, 204, 404]).toContain(a.status);
      }
    });
  });

  it('opt-outs: the same number in its phone and wa_id forms at once, and a create racing a delete: no 500', async () => {
    const body = (i: number) =>
      i % 2
        ? { subAccountId: sub, waId: '14155550888', scope: 'marketing' }
        : { subAccountId: sub, phone: '+14155550888', scope: 'all' };
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        t.http.post('/api/whatsapp/opt-outs').set('authorization', admin).send(body(i)),
      ),
    );
    expect(new Set(statuses(answers))).toEqual(new Set([201]));
    const id = answers[0].body.id as string;
    const race = await Promise.all([
      t.http.delete(`/api/whatsapp/opt-outs/${id}`).set('authorization', admin),
      t.http.delete(`/api/whatsapp/opt-outs/${id}`).set('authorization', admin),
      t.http.post('/api/whatsapp/opt-outs').set('authorization', admin).send(body(0)),
      t.http.post('/api/whatsapp/opt-outs').set('authorization', admin).send(body(1)),
    ]);
    for (const a of race) expect([201, 204, 404]).toContain(a.status);
  });

  describe('integration templates (super-admin)', () => {
    const su = () => `Bearer ${t.token('SUPER_ADMIN')}`;
    const schema = {
      type: 'object',
      properties: { mapping: { type: 'object' }, externalIdPointer: { type: 'string' } },
    };
    const newTemplate = async (name: string): Promise<number> => {
      const res = await t.http
        .post('/api/integration-templates')
        .set('authorization', su())
        .send({ name, displayName: name, category: 'Forms', handler: 'generic-webhook', configSchema: schema });
      expect(res.status).toBe(201);
      return res.body.id as number;
    };

    it('DELETE twice at once (a double-click): 204 and 404, never 500', async () => {
      for (let round = 0; round < 5; round++) {
        const id = await newTemplate(`doomed-${round}`);
        const answers = await Promise.all(
          [0, 1, 2].map(() => t.http.delete(`/api/integration-templates/${id}`).set('authorization', su())),
        );
        expect(statuses(answers)).toEqual([204, 404, 404]);
      }
    });

    it('PATCH racing DELETE: 200/204/404, never 500', async () => {
      for (let round = 0; round < 20; round++) {
        const id = await newTemplate(`patched-${round}`);
        const patch = () =>
          t.http.patch(`/api/integration-templates/${id}`).set('authorization', su()).send({ displayName: 'Renamed' });
        const answers = await Promise.all([
          patch(),
          t.http.delete(`/api/integration-templates/${id}`).set('authorization', su()),
          // a moment later, so that some PATCHes read the template before the DELETE and write after it
          new Promise((resolve) => setTimeout(resolve, round % 4)).then(patch),
          new Promise((resolve) => setTimeout(resolve, 1 + (round % 3))).then(patch),
        ]);
        for (const a of answers) expect([200, 204, 404]).toContain(a.status);
      }
    });

    it('DELETE racing an integration created from it: one of them wins cleanly (409 or 404), never 500', async () => {
      const owner = await createSubAccount(t, 'MAX', 'Template race');
      const ownerAdmin = `Bearer ${t.token('ADMIN', [owner])}`;
      for (let round = 0; round < 6; round++) {
        const id = await newTemplate(`contested-${round}`);
        const [created, deleted] = await Promise.all([
          t.http
            .post('/api/integrations')
            .set('authorization', ownerAdmin)
            .send({
              subAccountId: owner,
              integrationTemplateId: id,
              name: 'Form',
              config: { mapping: { email: '/email' }, externalIdPointer: '/id' },
            }),
          t.http.delete(`/api/integration-templates/${id}`).set('authorization', su()),
        ]);
        expect([
          [201, 409],
          [404, 204],
        ]).toContainEqual([created.status, deleted.status]);
      }
    });
  });

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

  describe('integrations and their events', () => {
    const GENERIC = { mapping: { email: '/email' }, externalIdPointer: '/id' };
    let max: number;
    let maxAdmin: string;

    beforeAll(async () => {
      max = await createSubAccount(t, 'MAX', 'Race Max');
      maxAdmin = `Bearer ${t.token('ADMIN', [max])}`;
    });

    it('PATCH config from two tabs changing different fields at once: both kept (merged over the stored one)', async () => {
      for (let round = 0; round < 4; round++) {
        const integration = await createIntegration(t, max, 'generic-webhook', GENERIC);
        const [a, b] = await Promise.all([
          t.http
            .patch(`/api/integrations/${integration.id}`)
            .set('authorization', maxAdmin)
            .send({ config: { eventTypePointer: '/type' } }),
          t.http
            .patch(`/api/integrations/${integration.id}`)
            .set('authorization', maxAdmin)
            .send({ config: { customAnswersPointer: '/answers' } }),
        ]);
        expect([a.status, b.status]).toEqual([200, 200]);
        const after = await t.http.get(`/api/integrations/${integration.id}`).set('authorization', maxAdmin);
        expect(after.body.config).toMatchObject({ eventTypePointer: '/type', customAnswersPointer: '/answers' });
      }
    });

    it('replay and replay-failed sent twice at once: every FAILED event is reopened exactly once', async () => {
      const integration = await createIntegration(t, max, 'generic-webhook', GENERIC);
      await activate(t, max, integration.id);
      const path = new URL(integration.webhookUrl).pathname;
      const eventIds: string[] = [];
      for (let i = 0; i < 3; i++) {
        const body = JSON.stringify({ id: `replay-race-${i}`, email: `replay-race-${i}@example.com` });
        const ts = Math.floor(Date.now() / 1000);
        const res = await t.http
          .post(path)
          .set('content-type', 'application/json')
          .set('x-webhook-timestamp', String(ts))
          .set('x-webhook-signature', genericSignature(body, integration.webhookSecret, ts))
          .send(body);
        expect(res.body.status).toBe('received');
        eventIds.push(res.body.eventId as string);
      }
      const settled = (status: string) =>
        waitFor(async () => {
          const { rows } = await t.sql.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM webhook_events WHERE integration_id = $1 AND status = $2',
            [integration.id, status],
          );
          return rows[0].n === 3 ? true : undefined;
        });
      await settled('PROCESSED');
      await t.sql.query(
        "UPDATE webhook_events SET status = 'FAILED', processed_at = NULL, attempts = 5, last_error = 'x' WHERE integration_id = $1",
        [integration.id],
      );
      const answers = await Promise.all([
        t.http.post(`/api/integrations/${integration.id}/events/replay-failed`).set('authorization', maxAdmin),
        t.http.post(`/api/webhook-events/${eventIds[0]}/replay`).set('authorization', maxAdmin),
        t.http.post(`/api/integrations/${integration.id}/events/replay-failed`).set('authorization', maxAdmin),
        t.http.post(`/api/webhook-events/${eventIds[0]}/replay`).set('authorization', maxAdmin),
        t.http.post(`/api/webhook-events/${eventIds[1]}/replay`).set('authorization', maxAdmin),
      ]);
      for (const a of answers) expect([200, 202, 409]).toContain(a.status);
      // the two replay-failed calls share the three FAILED events (a replayed event is never FAILED again
      // here: the worker processes it); a single replay may also reopen one the worker already processed
      const replayedInBulk = answers.reduce(
        (n, a) => n + (typeof a.body.replayed === 'number' ? (a.body.replayed as number) : 0),
        0,
      );
      expect(replayedInBulk).toBeLessThanOrEqual(3);
      expect(replayedInBulk + answers.filter((a) => a.status === 202).length).toBeGreaterThanOrEqual(3);
      await settled('PROCESSED');
    });

    it('DELETE racing the other writes on one integration (a second tab): each answers cleanly, never 500', async () => {
      const clean = [200, 202, 204, 400, 404, 409, 422, 502];
      for (let round = 0; round < 10; round++) {
        const integration = await createIntegration(t, max, 'facebook-ads', {
          adAccountId: `act_90${round}`,
          accessToken: `EAAB-race-token-${round}`,
        });
        const base = `/api/integrations/${integration.id}`;
        const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
        const answers = await Promise.all([
          t.http.delete(base).set('authorization', maxAdmin),
          later(round % 3).then(() => t.http.post(`${base}/sync`).set('authorization', maxAdmin)),
          t.http.post(`${base}/sync`).set('authorization', maxAdmin),
          t.http.post(`${base}/rotate-webhook-secret`).set('authorization', maxAdmin),
          t.http.post(`${base}/disconnect`).set('authorization', maxAdmin),
          t.http.patch(base).set('authorization', maxAdmin).send({ name: 'Renamed' }),
          t.http.post(`${base}/events/replay-failed`).set('authorization', maxAdmin),
          t.http.get(`${base}/health`).set('authorization', maxAdmin),
        ]);
        const labels = ['delete', 'sync later', 'sync', 'rotate', 'disconnect', 'patch', 'replay-failed', 'health'];
        const unclean = answers
          .map((a, i) => ({ request: labels[i], status: a.status, code: a.body?.code as string | undefined }))
          .filter((a) => !clean.includes(a.status));
        expect(unclean).toEqual([]);
      }
    });
  });
});

describe('concurrent requests on an OAuth connection', () => {
  const CRM = 'https://crm.example.test/integrations/connected';
  let t: TestApp;
  let fakes: ProviderFakes;
  let ghlAuth: FakeOAuthServer;
  let sub: number;
  let admin: string;

  beforeAll(async () => {
    fakes = await ProviderFakes.start();
    ghlAuth = await FakeOAuthServer.start({
      flavour: 'gohighlevel',
      clientId: 'ghl-client',
      clientSecret: 'ghl-secret',
      onToken: (token, grant) => {
        if (grant.locationId) fakes.location(token, grant.locationId);
      },
    });
    fakes.ghl.on('GET', '/calendars/', () => ({ status: 200, body: { calendars: [] } }));
    t = await createTestApp({
      env: {
        ...fakes.env,
        OAUTH_REDIRECT_ALLOWLIST: CRM,
        GHL_CLIENT_ID: 'ghl-client',
        GHL_CLIENT_SECRET: 'ghl-secret',
        GHL_OAUTH_TOKEN_URL: `${ghlAuth.url}/token`,
      },
    });
    sub = await createSubAccount(t, 'MAX', 'OAuth race');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([fakes.close(), ghlAuth.close()]);
  });

  it('disconnect racing a connection test: a disconnected integration never comes back active without its tokens', async () => {
    for (let round = 0; round < 6; round++) {
      const id = await connectGhlOAuth(t, ghlAuth, sub, CRM, `loc_race_${round}`);
      const [tested, disconnected] = await Promise.all([
        t.http.post(`/api/integrations/${id}/test`).set('authorization', admin),
        new Promise((resolve) => setTimeout(resolve, round % 3)).then(() =>
          t.http.post(`/api/integrations/${id}/disconnect`).set('authorization', admin),
        ),
      ]);
      expect([200, 409, 422]).toContain(tested.status);
      expect(disconnected.status).toBe(200);
      const after = await t.http.get(`/api/integrations/${id}`).set('authorization', admin);
      // the test either finished before the disconnect, or found the tokens gone (error), or was refused
      expect(['disconnected', 'error']).toContain(after.body.status);
    }
  });

  it('OAuth start racing a DELETE of the integration: 200 or 404, never 500', async () => {
    for (let round = 0; round < 10; round++) {
      const { id } = await createIntegration(t, sub, 'gohighlevel', { locationId: `loc_gone_${round}` });
      const start = () =>
        t.http.post(`/api/integrations/${id}/oauth/start`).set('authorization', admin).send({ redirectUri: CRM });
      const answers = await Promise.all([
        start(),
        t.http.delete(`/api/integrations/${id}`).set('authorization', admin),
        new Promise((resolve) => setTimeout(resolve, round % 3)).then(start),
      ]);
      for (const a of answers) expect([200, 204, 404]).toContain(a.status);
    }
  });

  it('the same OAuth callback twice at once (a reloaded tab): one connection, the other refused as used', async () => {
    const { id } = await createIntegration(t, sub, 'gohighlevel', { locationId: 'loc_twice' });
    const start = await t.http
      .post(`/api/integrations/${id}/oauth/start`)
      .set('authorization', admin)
      .send({ redirectUri: CRM });
    const path = ghlAuth.consent(start.body.authorizationUrl, { locationId: 'loc_twice' }).path;
    const [a, b] = await Promise.all([t.http.get(path), t.http.get(path)]);
    expect([a.status, b.status].sort()).toEqual([302, 400]);
    const after = await t.http.get(`/api/integrations/${id}`).set('authorization', admin);
    expect(after.body.status).toBe('active');
  });
});
