// The foundation spec's "GET /api/me" and "errors" sections (tokens, the error shape, body limits, request
// ids and what is never logged); "sub-accounts" and "health and documentation" are in
// foundation-sub-accounts-docs.e2e-spec.ts.
import { sign } from 'jsonwebtoken';
import { createTestApp, TEST_JWT_SECRET, TestApp } from '../support/test-app';

describe('foundation (HTTP contract)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  describe('GET /api/me', () => {
    it('answers the caller claims for a valid token', async () => {
      const res = await t.http.get('/api/me').set('authorization', `Bearer ${t.token('ADMIN', [1, 2], 'alice')}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ sub: 'alice', role: 'ADMIN', subAccountIds: [1, 2] });
    });

    const unauthenticated: Array<[string, () => string | undefined]> = [
      ['no token', () => undefined],
      ['a malformed token', () => 'Bearer not-a-jwt'],
      [
        'a bad signature',
        () =>
          `Bearer ${sign({ sub: 'x', role: 'ADMIN', subAccountIds: [1] }, 'another-secret-another-secret-another', { expiresIn: 60 })}`,
      ],
      [
        'an expired token',
        () =>
          `Bearer ${sign({ sub: 'x', role: 'ADMIN', subAccountIds: [1], exp: Math.floor(Date.now() / 1000) - 10 }, TEST_JWT_SECRET)}`,
      ],
      ['a token without exp', () => `Bearer ${sign({ sub: 'x', role: 'ADMIN', subAccountIds: [1] }, TEST_JWT_SECRET)}`],
      [
        'an unknown role',
        () => `Bearer ${sign({ sub: 'x', role: 'ROOT', subAccountIds: [1] }, TEST_JWT_SECRET, { expiresIn: 60 })}`,
      ],
      [
        'non-integer sub-account ids',
        () => `Bearer ${sign({ sub: 'x', role: 'ADMIN', subAccountIds: ['1'] }, TEST_JWT_SECRET, { expiresIn: 60 })}`,
      ],
      [
        'the none algorithm',
        () =>
          `Bearer ${sign({ sub: 'x', role: 'SUPER_ADMIN', subAccountIds: [] }, '', { algorithm: 'none', expiresIn: 60 })}`,
      ],
    ];
    it.each(unauthenticated)('answers 401 UNAUTHENTICATED for %s', async (_case, header) => {
      const req = t.http.get('/api/me');
      const value = header();
      if (value) void req.set('authorization', value);
      const res = await req;
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ statusCode: 401, code: 'UNAUTHENTICATED', message: expect.any(String), details: [] });
    });

    // a newcomer's token refused for being signed with another checkout's secret, or for a lifetime
    // over JWT_MAX_AGE_SECONDS (npm run token -- --hours 800), read like a missing one
    it.each([
      ['no token', /Authorization: Bearer <JWT>/],
      ['a bad signature', /signed with another key/],
      ['an expired token', /has expired/],
      ['an unknown role', /claims were refused/],
    ])('says why for %s', async (name, message) => {
      const header = unauthenticated.find(([c]) => c === name)![1]();
      const req = t.http.get('/api/me');
      if (header) void req.set('authorization', header);
      const res = await req;
      expect([res.status, res.body.message]).toEqual([401, expect.stringMatching(message)]);
    });
  });

  describe('errors', () => {
    const admin = (): string => `Bearer ${t.token('SUPER_ADMIN')}`;

    it('rejects an unknown field with 400 VALIDATION_FAILED naming it', async () => {
      const res = await t.http
        .post('/api/sub-accounts')
        .set('authorization', admin())
        .send({ name: 'A', plan: 'gold' });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.message).toContain('plan');
      expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'plan' })]));
    });

    it('reports every invalid field', async () => {
      const res = await t.http
        .post('/api/sub-accounts')
        .set('authorization', admin())
        .send({ name: '', tier: 'GOLD', defaultRegion: 'usa' });
      expect(res.status).toBe(400);
      expect(res.body.details.map((d: { field: string }) => d.field).sort()).toEqual(['defaultRegion', 'name', 'tier']);
    });

    // PostgreSQL stores neither NUL characters nor unpaired UTF-16 surrogates in text or jsonb: a client
    // sending them gets a 400 naming the field, never a 500 from the database
    it('answers text PostgreSQL cannot store (NUL, lone surrogates) 400 VALIDATION_FAILED naming the field', async () => {
      const sub = await t.http.post('/api/sub-accounts').set('authorization', admin()).send({ name: 'Nul Co' });
      const agent = `Bearer ${t.token('AGENT', [sub.body.id as number])}`;
      const refused: Array<[string, () => Promise<{ status: number; body: { code?: string; details?: unknown } }>]> = [
        ['name', () => t.http.post('/api/sub-accounts').set('authorization', admin()).send({ name: 'a\u0000b' })],
        [
          'fullName',
          () =>
            t.http
              .post('/api/leads')
              .set('authorization', agent)
              .set('content-type', 'application/json')
              .send(`{"subAccountId":${sub.body.id},"fullName":"a\\ud800b"}`),
        ],
        [
          'tags.1',
          () =>
            t.http
              .post('/api/leads')
              .set('authorization', agent)
              .send({ subAccountId: sub.body.id, fullName: 'x', tags: ['ok', 'a\u0000'] }),
        ],
        [
          'source.campaignName',
          () =>
            t.http
              .post('/api/leads')
              .set('authorization', agent)
              .send({
                subAccountId: sub.body.id,
                fullName: 'x',
                source: { platform: 'manual', campaignName: '\u0000' },
              }),
        ],
        [
          'customAnswers',
          () =>
            t.http
              .post('/api/leads')
              .set('authorization', agent)
              .send({ subAccountId: sub.body.id, fullName: 'x', customAnswers: { 'a\u0000': 'v' } }),
        ],
        ['q', () => t.http.get('/api/leads?q=a%00b').set('authorization', agent)],
        ['category', () => t.http.get('/api/integration-templates?category=%00').set('authorization', admin())],
      ];
      for (const [field, send] of refused) {
        const res = await send();
        expect([field, res.status, res.body.code]).toEqual([field, 400, 'VALIDATION_FAILED']);
        expect(res.body.details).toEqual([expect.objectContaining({ field })]);
      }
      // a surrogate pair (an emoji) is ordinary text
      const emoji = await t.http
        .post('/api/sub-accounts')
        .set('authorization', admin())
        .send({ name: 'Smile \ud83d\ude00' });
      expect([emoji.status, emoji.body.name]).toEqual([201, 'Smile 😀']);
    });

    // class-transformer copies a body recursively: thousands of levels overflowed its stack (500)
    it('answers a body nested deeper than 64 levels 400 VALIDATION_FAILED naming the field', async () => {
      const nested = (depth: number, leaf: string): string => '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);
      const sub = await t.http.post('/api/sub-accounts').set('authorization', admin()).send({ name: 'Deep Co' });
      const cases: Array<[string, string, string]> = [
        [`/api/sub-accounts/${sub.body.id}`, `{"scoreWeights":${nested(5000, '1')}}`, 'scoreWeights.a.a.a'],
        ['/api/sub-accounts', `{"name":"x","extra":${'['.repeat(5000)}${']'.repeat(5000)}}`, 'extra.0.0.0'],
      ];
      for (const [path, body, prefix] of cases) {
        const res = await t.http[path === '/api/sub-accounts' ? 'post' : 'patch'](path)
          .set('authorization', admin())
          .set('content-type', 'application/json')
          .send(body);
        expect([path, res.status, res.body.code]).toEqual([path, 400, 'VALIDATION_FAILED']);
        expect(res.body.details).toEqual([
          {
            field: expect.stringMatching(`^${prefix.replace(/\./g, '\\.')}`),
            messages: [expect.stringContaining('64')],
          },
        ]);
      }
      // 64 levels are fine (the route's own validation answers)
      const shallow = await t.http
        .patch(`/api/sub-accounts/${sub.body.id}`)
        .set('authorization', admin())
        .set('content-type', 'application/json')
        .send(`{"scoreWeights":${nested(63, '1')}}`);
      expect(shallow.status).not.toBe(500);
      expect(JSON.stringify(shallow.body)).not.toContain('deeper than');
    });

    it('answers unknown routes 404 NOT_FOUND', async () => {
      const res = await t.http.get('/api/does-not-exist');
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ statusCode: 404, code: 'NOT_FOUND', message: expect.any(String), details: [] });
    });

    it('answers malformed JSON 400 in the error shape', async () => {
      const res = await t.http
        .post('/api/sub-accounts')
        .set('authorization', admin())
        .set('content-type', 'application/json')
        .send('{"name":');
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    });

    // clients that send Content-Type: application/json on every request (a session's default headers)
    // post no body to action routes (sync, test, disconnect, rotate …): that was a 400 before any route ran
    it('takes an empty body declared as JSON as no body: an action runs, a route with a body answers its validation', async () => {
      const sub = await t.http.post('/api/sub-accounts').set('authorization', admin()).send({ name: 'Empty Co' });
      const action = await t.http
        .post(`/api/integrations/987654/rotate-webhook-secret`)
        .set('authorization', `Bearer ${t.token('ADMIN', [sub.body.id as number])}`)
        .set('content-type', 'application/json');
      expect([action.status, action.body.code]).toEqual([404, 'NOT_FOUND']);
      const withBody = await t.http
        .post('/api/sub-accounts')
        .set('authorization', admin())
        .set('content-type', 'application/json; charset=utf-8');
      expect([withBody.status, withBody.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(withBody.body.details.map((d: { field: string }) => d.field)).toEqual(['name']);
      // a webhook delivery is never empty: still 400 (it has no route-level body to validate)
      const delivery = await t.http.post('/api/webhooks/meta-lead-ads').set('content-type', 'application/json');
      expect([delivery.status, delivery.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    });

    it('answers a wrong content type 415 UNSUPPORTED_MEDIA_TYPE', async () => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
        const res = await t.http
          .post('/api/sub-accounts')
          .set('authorization', admin())
          .set('content-type', type)
          .send('name=x');
        expect(res.status).toBe(415);
        expect(res.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
        // curl -d sends a form: the answer says what to send instead
        expect(res.body.message).toContain('Content-Type: application/json');
      }
    });

    it('answers an oversized body 413 PAYLOAD_TOO_LARGE', async () => {
      const res = await t.http
        .post('/api/sub-accounts')
        .set('authorization', admin())
        .set('content-type', 'application/json')
        .send(JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10) }));
      expect(res.status).toBe(413);
      expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('echoes a sane X-Request-Id and logs it', async () => {
      const res = await t.http.get('/api/health').set('x-request-id', 'trace-abc-123');
      expect(res.headers['x-request-id']).toBe('trace-abc-123');
      const generated = await t.http.get('/api/health').set('x-request-id', 'bad id with spaces');
      expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(t.logs()).toContain('"id":"trace-abc-123"');
    });

    it('never logs authorization headers or secret-looking fields', async () => {
      const token = t.token('SUPER_ADMIN');
      await t.http
        .post('/api/sub-accounts')
        .set('authorization', `Bearer ${token}`)
        .send({ name: 'Logged', apiKey: 'sk_live_supersecret' });
      const logs = t.logs();
      expect(logs).not.toContain(token);
      expect(logs).not.toContain('sk_live_supersecret');
    });
  });
});
