import { createSubAccount } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';

// API.md "Conventions": sub-account ids are integers. The query DTOs of these modules read them with
// Number(), so ?subAccountId=0x<id>, <id>.0 or <id>e0 named that sub-account instead of answering 400
// (the integrations and leads routes were fixed the same way in 6d26408).
const LISTS = [
  '/api/audit-log',
  '/api/whatsapp/conversations',
  '/api/whatsapp/templates',
  '/api/whatsapp/messages',
  '/api/whatsapp/analytics',
  '/api/whatsapp/opt-outs',
  '/api/whatsapp/bulk',
  '/api/report-templates',
  '/api/reports',
  '/api/analytics/overview',
];

describe('integer ids in the query and body of the messaging, analytics, reports and audit routes', () => {
  let t: TestApp;
  let sub: number;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp();
    sub = await createSubAccount(t, 'MAX', 'Typed');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await t.close();
  });

  it.each(LISTS)('GET %s takes ?subAccountId as digits only', async (path) => {
    for (const bad of [`0x${sub.toString(16)}`, `${sub}.0`, `${sub}e0`, ` ${sub}`]) {
      const res = await t.http.get(`${path}?subAccountId=${encodeURIComponent(bad)}`).set('authorization', admin);
      expect([bad, res.status, res.body.code]).toEqual([bad, 400, 'VALIDATION_FAILED']);
    }
    const ok = await t.http.get(`${path}?subAccountId=${sub}`).set('authorization', admin);
    expect(ok.status).toBe(200);
  });

  it('GET /api/reports takes ?templateId as digits only', async () => {
    const res = await t.http.get(`/api/reports?subAccountId=${sub}&templateId=0x1`).set('authorization', admin);
    expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it.each([
    ['/api/messages', { channel: 'messenger', text: 'hi' }],
    ['/api/whatsapp/bulk', { text: 'hi', leadIds: ['1'] }],
  ])('POST %s takes subAccountId as a JSON number only', async (path, rest) => {
    for (const bad of [String(sub), true, [sub]]) {
      const res = await t.http
        .post(path)
        .set('authorization', admin)
        .send({ ...rest, subAccountId: bad });
      expect([JSON.stringify(bad), res.status, res.body.code]).toEqual([JSON.stringify(bad), 400, 'VALIDATION_FAILED']);
      expect(res.body.details.map((d: { field: string }) => d.field)).toContain('subAccountId');
    }
  });
  // API.md "Lists": ?page=&pageSize= → a page. A page past the end is an empty page; a page number
  // whose offset overflows the database's was a 500 on every list
  it.each(['/api/leads', '/api/integrations', '/api/integration-templates', '/api/audit-log', '/api/reports'])(
    'GET %s answers a page number past int4 400 VALIDATION_FAILED naming page, and an empty page below it',
    async (path) => {
      for (const huge of ['2147483648', '999999999999999999999999999999']) {
        const res = await t.http.get(`${path}?page=${huge}`).set('authorization', admin);
        expect([huge, res.status, res.body.code]).toEqual([huge, 400, 'VALIDATION_FAILED']);
        expect(res.body.details.map((d: { field: string }) => d.field)).toEqual(['page']);
      }
      const last = await t.http.get(`${path}?page=2147483647&pageSize=200`).set('authorization', admin);
      expect([last.status, last.body.items, last.body.page]).toEqual([200, [], 2147483647]);
    },
  );
});
