// The CRM's frontend calls the API from its own origin (a browser): every call with a bearer token is
// preflighted, so without CORS answers for that origin nothing works from the browser. Only the origins
// of CORS_ORIGINS are answered; an unlisted origin gets no CORS headers (the browser blocks it), and by
// default (no CORS_ORIGINS) none at all.
import { createSubAccount } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';

const CRM = 'https://crm.example.test';

describe('CORS for the CRM frontend', () => {
  let t: TestApp;
  let plain: TestApp;
  let sub: number;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp({ env: { CORS_ORIGINS: `${CRM},http://localhost:5173` } });
    plain = await createTestApp({ db: t.db });
    sub = await createSubAccount(t, 'PRO', 'CORS');
    admin = `Bearer ${t.token('ADMIN', [sub])}`;
  });
  afterAll(async () => {
    await plain?.close();
    await t?.close();
  });

  const preflight = (app: TestApp, origin: string, method = 'PATCH') =>
    app.http
      .options('/api/integrations/1')
      .set('origin', origin)
      .set('access-control-request-method', method)
      .set('access-control-request-headers', 'authorization,content-type,idempotency-key');

  it("answers an allow-listed origin's preflight with the methods and headers the API uses", async () => {
    const res = await preflight(t, CRM);
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(CRM);
    expect(res.headers['access-control-allow-methods']).toEqual(expect.stringContaining('PATCH'));
    expect(res.headers['access-control-allow-methods']).toEqual(expect.stringContaining('DELETE'));
    const allowed = String(res.headers['access-control-allow-headers']).toLowerCase();
    for (const header of ['authorization', 'content-type', 'idempotency-key']) expect(allowed).toContain(header);
    // bearer tokens, never cookies
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    expect(res.headers['access-control-max-age']).toBe('600');
    expect(res.headers.vary).toEqual(expect.stringMatching(/origin/i));
  });

  it("marks the allow-listed origin's calls readable, with the headers a client needs exposed", async () => {
    const res = await t.http
      .get(`/api/integrations?subAccountId=${sub}`)
      .set('origin', CRM)
      .set('authorization', admin);
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(CRM);
    const exposed = String(res.headers['access-control-expose-headers']).toLowerCase();
    for (const header of ['x-request-id', 'retry-after', 'content-disposition']) expect(exposed).toContain(header);
    // errors too: a 401 the browser could not read would look like a network failure
    const refused = await t.http.get(`/api/integrations?subAccountId=${sub}`).set('origin', CRM);
    expect(refused.status).toBe(401);
    expect(refused.headers['access-control-allow-origin']).toBe(CRM);
  });

  it.each([
    ['another site', 'https://evil.example'],
    ['a look-alike of the CRM', 'https://crm.example.test.evil.example'],
    ['the CRM over plain http', 'http://crm.example.test'],
  ])('gives %s no CORS answer', async (_what, origin) => {
    const pre = await preflight(t, origin);
    expect(pre.status).toBeLessThan(500);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    const res = await t.http
      .get(`/api/integrations?subAccountId=${sub}`)
      .set('origin', origin)
      .set('authorization', admin);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sends no CORS headers at all without CORS_ORIGINS', async () => {
    const res = await plain.http
      .get(`/api/integrations?subAccountId=${sub}`)
      .set('origin', CRM)
      .set('authorization', admin);
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect((await preflight(plain, CRM)).headers['access-control-allow-origin']).toBeUndefined();
  });
});
