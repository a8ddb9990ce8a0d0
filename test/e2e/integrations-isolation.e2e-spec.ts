import { createIntegration, createSubAccount, GHL_CONFIG, templateId } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';

type Method = 'get' | 'post' | 'patch' | 'delete';

/** Every route about one integration; later features add theirs here. */
const RECORD_ROUTES: Array<[Method, (id: number) => string, object?]> = [
  ['get', (id) => `/api/integrations/${id}`],
  ['patch', (id) => `/api/integrations/${id}`, { name: 'stolen' }],
  ['delete', (id) => `/api/integrations/${id}`],
  ['post', (id) => `/api/integrations/${id}/test`],
  ['post', (id) => `/api/integrations/${id}/rotate-webhook-secret`],
];

describe('integration isolation between sub-accounts and roles', () => {
  let t: TestApp;
  let a: number;
  let b: number;
  let bIntegration: number;

  beforeAll(async () => {
    t = await createTestApp();
    a = await createSubAccount(t, 'PRO', 'A');
    b = await createSubAccount(t, 'PRO', 'B');
    bIntegration = (await createIntegration(t, b, 'gohighlevel', GHL_CONFIG)).id;
  });
  afterAll(async () => {
    await t.close();
  });

  it.each(RECORD_ROUTES.map(([method, path, body]) => ({ method, path, body, shown: path(0) })))(
    "answers 404 to A's admin for B's integration: $method $shown",
    async ({ method, path, body }) => {
      const res = await t.http[method](path(bIntegration))
        .set('authorization', `Bearer ${t.token('ADMIN', [a])}`)
        .send(body);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
    },
  );

  it("leaves B's integration untouched after A's attempts", async () => {
    const res = await t.http
      .get(`/api/integrations/${bIntegration}`)
      .set('authorization', `Bearer ${t.token('ADMIN', [b])}`);
    expect(res.status).toBe(200);
    expect(res.body.name).not.toBe('stolen');
  });

  it('answers 403 when A creates, lists or reads limits in B', async () => {
    const token = `Bearer ${t.token('ADMIN', [a])}`;
    const create = await t.http
      .post('/api/integrations')
      .set('authorization', token)
      .send({
        subAccountId: b,
        integrationTemplateId: await templateId(t, 'gohighlevel'),
        name: 'x',
        config: GHL_CONFIG,
      });
    expect(create.status).toBe(403);
    expect(create.body.code).toBe('FORBIDDEN');
    expect((await t.http.get(`/api/integrations?subAccountId=${b}`).set('authorization', token)).status).toBe(403);
    expect((await t.http.get(`/api/integrations/limits?subAccountId=${b}`).set('authorization', token)).status).toBe(
      403,
    );
    const own = await t.http.get('/api/integrations').set('authorization', token);
    expect(own.body.items.every((i: { subAccountId: number }) => i.subAccountId === a)).toBe(true);
  });

  it('forbids agents every integration route, and managers the writes', async () => {
    const agent = `Bearer ${t.token('AGENT', [b])}`;
    for (const [method, path, body] of RECORD_ROUTES) {
      expect((await t.http[method](path(bIntegration)).set('authorization', agent).send(body)).status).toBe(403);
    }
    expect((await t.http.get('/api/integrations').set('authorization', agent)).status).toBe(403);
    expect((await t.http.post('/api/integrations').set('authorization', agent).send({})).status).toBe(403);

    const manager = `Bearer ${t.token('MANAGER', [b])}`;
    expect((await t.http.get(`/api/integrations/${bIntegration}`).set('authorization', manager)).status).toBe(200);
    expect(
      (await t.http.patch(`/api/integrations/${bIntegration}`).set('authorization', manager).send({ name: 'm' }))
        .status,
    ).toBe(403);
    expect((await t.http.delete(`/api/integrations/${bIntegration}`).set('authorization', manager)).status).toBe(403);
    expect(
      (await t.http.post(`/api/integrations/${bIntegration}/rotate-webhook-secret`).set('authorization', manager))
        .status,
    ).toBe(403);
  });

  it('lets a super-admin act on every sub-account', async () => {
    const res = await t.http
      .get(`/api/integrations/${bIntegration}`)
      .set('authorization', `Bearer ${t.token('SUPER_ADMIN')}`);
    expect(res.status).toBe(200);
  });
});
