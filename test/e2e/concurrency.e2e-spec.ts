// A CRM frontend that double-clicks, retries on a timeout and runs several tabs: the same request twice
// at the same moment, or two writes to one record at once, over the REST API. Never a 500, never a
// duplicate where API.md implies one record, never a lost update.
// This part holds leads, opt-outs, report templates and integration templates; the WhatsApp races are in
// concurrency-whatsapp.e2e-spec.ts, integrations, their events and OAuth connections in
// concurrency-integrations.e2e-spec.ts; the shared setup in test/support/concurrency-setup.ts.
import { createSubAccount } from '../support/factories';
import { TestApp } from '../support/test-app';
import { ConcurrencyFixture, setupConcurrency, statuses } from '../support/concurrency-setup';

const REPORT_CONFIG = { metrics: ['totalLeads', 'newLeads'], groupBy: ['source'], dateRange: 'LAST_7_DAYS' };

describe('concurrent requests from the CRM', () => {
  let fx: ConcurrencyFixture;
  let t: TestApp;
  let sub: number;
  let admin: string;

  beforeAll(async () => {
    fx = await setupConcurrency();
    ({ t, sub, admin } = fx);
  });
  afterAll(() => fx?.close());

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
});
