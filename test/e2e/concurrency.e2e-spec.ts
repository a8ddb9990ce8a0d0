// A CRM frontend that double-clicks, retries on a timeout and runs several tabs: the same request twice
// at the same moment, or two writes to one record at once, over the REST API. Never a 500, never a
// duplicate where API.md implies one record, never a lost update.
import { createSubAccount } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';

const REPORT_CONFIG = { metrics: ['totalLeads', 'newLeads'], groupBy: ['source'], dateRange: 'LAST_7_DAYS' };

describe('concurrent requests from the CRM', () => {
  let t: TestApp;
  let sub: number;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp();
    sub = await createSubAccount(t, 'PRO', 'Race Co');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t.close();
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

  it('PATCH /api/leads/:id status from several tabs at once: every change recorded once, chained', async () => {
    const created = await t.http
      .post('/api/leads')
      .set('authorization', admin)
      .send({ subAccountId: sub, fullName: 'Alan Turing', email: 'alan@bletchley.example' });
    const id = created.body.id as string;
    const targets = ['CONTACTED', 'QUALIFIED', 'CONVERTED', 'LOST', 'CONTACTED', 'QUALIFIED', 'CONTACTED', 'LOST'];
    const answers = await Promise.all(
      targets.map((status) => t.http.patch(`/api/leads/${id}`).set('authorization', admin).send({ status })),
    );
    expect(statuses(answers).every((s) => s === 200)).toBe(true);
    const history = await t.http.get(`/api/leads/${id}/history`).set('authorization', admin);
    const chain = history.body as Array<{ from: string | null; to: string }>;
    for (let i = 1; i < chain.length; i++) expect(chain[i].from).toBe(chain[i - 1].to);
    const lead = await t.http.get(`/api/leads/${id}`).set('authorization', admin);
    expect(lead.body.status).toBe(chain[chain.length - 1].to);
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
          t.http.patch(`/api/report-templates/${id}`).set('authorization', admin).send({ name: `Renamed ${round}` }),
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
          t.http.patch(`/api/report-templates/${id}`).set('authorization', admin).send({ name: `Late ${round}` }),
          t.http.post(`/api/report-templates/${id}/generate`).set('authorization', admin).send({}),
          t.http.delete(`/api/report-templates/${id}`).set('authorization', admin),
        ]);
        for (const a of answers) expect([200, 202, 204, 404]).toContain(a.status);
      }
    });
  });
});
