// Part of the integrations spec (header in integrations.e2e-spec.ts): PATCHed config merged over the stored one,
// fields removed or refused as null, and ids in paths, bodies and queries read as integers only.
import { createIntegration, META_CONFIG, templateId } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { TestApp } from '../support/test-app';
import { IntegrationsFixture, setupIntegrations } from '../support/integrations-setup';

describe('integrations', () => {
  let fx: IntegrationsFixture;
  let t: TestApp;
  let graph: FakeServer;
  let sub: number;
  let admin: string;

  beforeAll(async () => {
    fx = await setupIntegrations();
    ({ t, graph, sub, admin } = fx);
  });
  afterAll(() => fx?.close());
  beforeEach(() => fx.reset());

  it('merges PATCHed config over the stored one: a secret left out or sent back masked keeps its value', async () => {
    const created = await createIntegration(t, sub, 'meta-lead-ads', META_CONFIG);
    const patched = await t.http
      .patch(`/api/integrations/${created.id}`)
      .set('authorization', admin)
      .send({ name: 'Renamed', config: { pageId: '555000111', verifyToken: { secret: true, last4: '9999' } } });
    expect(patched.status).toBe(200);
    expect(patched.body.name).toBe('Renamed');
    expect(patched.body.config.pageId).toBe('555000111');
    expect(patched.body.config.pageAccessToken).toEqual({ secret: true, last4: 'abcd' });

    // a page token's /me is its page (the test proves the token belongs to the configured page)
    graph.on('GET', '/me', (req) =>
      req.headers.authorization === `Bearer ${META_CONFIG.pageAccessToken}`
        ? { status: 200, body: { id: '555000111', name: 'Acme Dental' } }
        : { status: 401, body: {} },
    );
    const tested = await t.http.post(`/api/integrations/${created.id}/test`).set('authorization', admin);
    expect(tested.status).toBe(200);
    expect(tested.body.success).toBe(true);

    const rotated = await t.http
      .patch(`/api/integrations/${created.id}`)
      .set('authorization', admin)
      .send({ config: { pageAccessToken: 'EAAG-new-token-7890' } });
    expect(rotated.body.config.pageAccessToken).toEqual({ secret: true, last4: '7890' });
    expect(rotated.body.status).toBe('pending');
  });

  it('removes a config field sent as null: an optional field or secret once set can be unset, a required one cannot', async () => {
    const created = await createIntegration(t, sub, 'generic-webhook', {
      mapping: { email: '/email' },
      externalIdPointer: '/id',
      eventTypePointer: '/type',
      signingSecret: `whsec_${Buffer.alloc(24, 7).toString('base64')}`,
    });
    const patch = (config: Record<string, unknown>) =>
      t.http.patch(`/api/integrations/${created.id}`).set('authorization', admin).send({ config });
    const unset = await patch({ eventTypePointer: null, signingSecret: null });
    expect(unset.status).toBe(200);
    // signatureScheme: the handler schema's default, filled in when the integration was created
    const remaining = {
      mapping: { email: '/email' },
      externalIdPointer: '/id',
      signatureScheme: 'hmac-sha256-timestamped',
    };
    expect(unset.body.config).toEqual(remaining);
    const stored = await t.sql.query('SELECT config FROM integrations WHERE id = $1', [created.id]);
    expect(Object.keys(stored.rows[0].config).sort()).toEqual(['externalIdPointer', 'mapping', 'signatureScheme']);
    const required = await patch({ externalIdPointer: null });
    expect(required.status).toBe(400);
    expect(required.body.code).toBe('CONFIG_SCHEMA_INVALID');
    expect((await t.http.get(`/api/integrations/${created.id}`).set('authorization', admin)).body.config).toEqual(
      remaining,
    );
  });

  // API.md: a bad request is 400 VALIDATION_FAILED; null for a field that cannot be null was a 500 (NOT NULL violation)
  it('answers null for name, config or isActive 400 VALIDATION_FAILED naming the field; a null description clears it', async () => {
    const created = await createIntegration(t, sub, 'meta-lead-ads', META_CONFIG);
    for (const field of ['name', 'config', 'isActive']) {
      const res = await t.http
        .patch(`/api/integrations/${created.id}`)
        .set('authorization', admin)
        .send({ [field]: null });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.details.map((d: { field: string }) => d.field)).toEqual([field]);
    }
    const cleared = await t.http
      .patch(`/api/integrations/${created.id}`)
      .set('authorization', admin)
      .send({ description: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.description).toBeNull();
  });

  it('reads a path id as digits only: hex, exponent or padded forms of a real id answer 400, not that integration', async () => {
    const created = await createIntegration(t, sub, 'meta-lead-ads', META_CONFIG);
    expect((await t.http.get(`/api/integrations/${created.id}`).set('authorization', admin)).status).toBe(200);
    const forms = [`0x${created.id.toString(16)}`, `${created.id}e0`, `${created.id}.0`, `%20${created.id}`, 'abc'];
    for (const form of forms) {
      const res = await t.http.get(`/api/integrations/${form}`).set('authorization', admin);
      expect({ form, status: res.status, code: res.body.code, message: res.body.message }).toEqual({
        form,
        status: 400,
        code: 'VALIDATION_FAILED',
        message: 'The id in the path must be a positive integer',
      });
    }
  });

  // API.md "Conventions": sub-account and template ids are integers. Bodies went through Number(), so
  // "1", true and "0x1" named id 1; queries too (?subAccountId=0x1 listed sub-account 1)
  it('takes body and query ids as integers only: strings, booleans and hex forms answer 400', async () => {
    const template = await templateId(t, 'meta-lead-ads');
    const body = { subAccountId: sub, integrationTemplateId: template, name: 'typed', config: META_CONFIG };
    for (const [field, bad] of [
      ['subAccountId', String(sub)],
      ['subAccountId', true],
      ['integrationTemplateId', String(template)],
      ['integrationTemplateId', `0x${template.toString(16)}`],
    ] as const) {
      for (const path of ['/api/integrations', '/api/integrations/test-config']) {
        const sent = path.endsWith('test-config') ? { ...body, name: undefined } : body;
        const res = await t.http
          .post(path)
          .set('authorization', admin)
          .send({ ...sent, [field]: bad });
        expect([path, field, res.status, res.body.code]).toEqual([path, field, 400, 'VALIDATION_FAILED']);
        expect(res.body.details.map((d: { field: string }) => d.field)).toEqual([field]);
      }
    }
    for (const query of [
      `subAccountId=0x${sub.toString(16)}`,
      `subAccountId=${sub}.0`,
      `templateId=${template}e0`,
      'pageSize=0x10',
    ]) {
      const res = await t.http.get(`/api/integrations?${query}`).set('authorization', admin);
      expect([query, res.status, res.body.code]).toEqual([query, 400, 'VALIDATION_FAILED']);
    }
    const limits = await t.http
      .get(`/api/integrations/limits?subAccountId=0x${sub.toString(16)}`)
      .set('authorization', admin);
    expect([limits.status, limits.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    const ok = await t.http
      .get(`/api/integrations?subAccountId=${sub}&templateId=${template}&page=1&pageSize=10`)
      .set('authorization', admin);
    expect([ok.status, ok.body.pageSize]).toEqual([200, 10]);
  });
});
