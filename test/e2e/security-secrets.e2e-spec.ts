/**
 * Issue 9 points 3 and 4: secrets cannot be planted or moved, one unreadable row never fails
 * others, a write answers only once everything that can fail has run, and a template cannot mark a
 * secret where it would be stored in plaintext.
 */
import { createIntegration, createSubAccount, META_CONFIG, templateId } from '../support/factories';
import { auth, countRows } from '../support/security';
import { createTestApp, TestApp } from '../support/test-app';
import { activate, metaLeadgen, metaSignature } from '../support/webhooks';

const META_B = {
  pageId: '8880002',
  appSecret: 'b-app-secret',
  pageAccessToken: 'b-page-token',
  verifyToken: 'b-verify',
};
const GENERIC_BASE = {
  mapping: { type: 'object', additionalProperties: { type: 'string' } },
  externalIdPointer: { type: 'string' },
};

describe('security: secrets at rest', () => {
  let t: TestApp;
  let a: number;
  let b: number;
  let metaA: { id: number };
  let metaB: { id: number };

  const deliverA = (leadId: string) => {
    const body = metaLeadgen(META_CONFIG.pageId, [leadId]);
    return t.http
      .post('/api/webhooks/meta-lead-ads')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(body, META_CONFIG.appSecret))
      .send(body);
  };
  const listAll = () => t.http.get('/api/integrations?pageSize=200').set('authorization', auth(t, 'SUPER_ADMIN'));

  beforeAll(async () => {
    t = await createTestApp({ env: { WEBHOOK_CACHE_TTL_MS: '0' } });
    a = await createSubAccount(t, 'MAX', 'A');
    b = await createSubAccount(t, 'MAX', 'B');
    metaA = await createIntegration(t, a, 'meta-lead-ads', META_CONFIG);
    metaB = await createIntegration(t, b, 'meta-lead-ads', META_B);
    await activate(t, a, metaA.id);
    await activate(t, b, metaB.id);
  });
  afterAll(async () => {
    await t.close();
  });

  it('takes a client string that looks sealed as plaintext: sealed like any other, nothing breaks for anyone', async () => {
    const planted = 'enc:v1:k1:AAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBB==:CCCC';
    const created = await createIntegration(t, b, 'meta-lead-ads', { ...META_B, appSecret: planted });
    const stored = await t.sql.query<{ secret: string }>(
      "SELECT config->>'appSecret' AS secret FROM integrations WHERE id = $1",
      [created.id],
    );
    expect(stored.rows[0].secret).not.toBe(planted);
    expect(stored.rows[0].secret.startsWith('enc:v2:')).toBe(true);
    expect(created.body.config).toEqual(expect.objectContaining({ appSecret: { secret: true, last4: 'CCCC' } }));
    await activate(t, b, created.id);
    expect((await deliverA('planted-1')).status).toBe(200);
    expect((await listAll()).status).toBe(200);
    const del = await t.http.delete(`/api/integrations/${created.id}`).set('authorization', auth(t, 'ADMIN', [b]));
    expect(del.status).toBe(204);
  });

  it("binds a sealed value to its row and field: A's token copied into B's row does not open there, and fails nobody else", async () => {
    await t.sql.query(
      `UPDATE integrations SET config = jsonb_set(config, '{pageAccessToken}', (SELECT config->'pageAccessToken' FROM integrations WHERE id = $1))
       WHERE id = $2`,
      [metaA.id, metaB.id],
    );
    const logFrom = t.logs().length;
    // the super-admin's list, A's deliveries: unaffected
    const list = await listAll();
    expect(list.status).toBe(200);
    const shownB = (list.body.items as Array<{ id: number; config: Record<string, unknown> }>).find(
      (i) => i.id === metaB.id,
    );
    expect(shownB?.config.pageAccessToken).toEqual({ secret: true, last4: '' });
    expect((await deliverA('moved-1')).status).toBe(200);
    // B's row is skipped (and logged), never answered 500
    const bBody = metaLeadgen(META_B.pageId, ['moved-2']);
    const bDelivery = await t.http
      .post('/api/webhooks/meta-lead-ads')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(bBody, META_B.appSecret))
      .send(bBody);
    expect(bDelivery.status).toBe(401);
    expect(t.logs().slice(logFrom)).toMatch(new RegExp(`"integrationId":${metaB.id}[^\\n]*does not decrypt`));
    const tested = await t.http.post(`/api/integrations/${metaB.id}/test`).set('authorization', auth(t, 'ADMIN', [b]));
    expect([tested.status, tested.body.code]).toEqual([422, 'INVALID_CREDENTIALS']);
    // the admin repairs it by entering the token again
    const repaired = await t.http
      .patch(`/api/integrations/${metaB.id}`)
      .set('authorization', auth(t, 'ADMIN', [b]))
      .send({ config: { pageAccessToken: 'b-page-token-new' } });
    expect(repaired.status).toBe(200);
    expect(repaired.body.config.pageAccessToken).toEqual({ secret: true, last4: '-new' });
  });

  it('answers a write only after everything that can fail has run: a failing audit write leaves no change behind (500, nothing committed)', async () => {
    await t.sql.query('ALTER TABLE audit_logs ADD CONSTRAINT audit_down CHECK (false) NOT VALID');
    try {
      const before = await countRows(t, 'integrations');
      const claims = await countRows(t, 'webhook_routing_claims');
      const created = await t.http
        .post('/api/integrations')
        .set('authorization', auth(t, 'ADMIN', [a]))
        .send({
          subAccountId: a,
          integrationTemplateId: await templateId(t, 'meta-lead-ads'),
          name: 'x',
          config: { ...META_CONFIG, pageId: '8880009' },
        });
      expect(created.status).toBe(500);
      expect(await countRows(t, 'integrations')).toBe(before);
      expect(await countRows(t, 'webhook_routing_claims')).toBe(claims);

      const renamed = await t.http
        .patch(`/api/integrations/${metaA.id}`)
        .set('authorization', auth(t, 'ADMIN', [a]))
        .send({ name: 'renamed' });
      expect(renamed.status).toBe(500);
      const deleted = await t.http.delete(`/api/integrations/${metaA.id}`).set('authorization', auth(t, 'ADMIN', [a]));
      expect(deleted.status).toBe(500);
      const row = await t.sql.query('SELECT name FROM integrations WHERE id = $1', [metaA.id]);
      expect(row.rows).toHaveLength(1);
      expect(row.rows[0].name).not.toBe('renamed');
    } finally {
      await t.sql.query('ALTER TABLE audit_logs DROP CONSTRAINT audit_down');
    }
  });

  describe('"x-secret" everywhere or refused (point 4)', () => {
    const template = (name: string, extra: Record<string, unknown>) =>
      t.http
        .post('/api/integration-templates')
        .set('authorization', auth(t, 'SUPER_ADMIN'))
        .send({
          name,
          displayName: name,
          category: 'forms',
          handler: 'generic-webhook',
          configSchema: { type: 'object', required: ['mapping', 'externalIdPointer'], ...extra },
        });
    const secret = { type: 'string', 'x-secret': true };

    it.each([
      [
        '$defs/$ref',
        { properties: { ...GENERIC_BASE, token: { $ref: '#/$defs/token' } }, $defs: { token: secret } },
        '/$defs/token',
      ],
      [
        'items',
        { properties: { ...GENERIC_BASE, tokens: { type: 'array', items: secret } } },
        '/properties/tokens/items',
      ],
      [
        'anyOf',
        { properties: { ...GENERIC_BASE, token: { anyOf: [secret, { type: 'null' }] } } },
        '/properties/token/anyOf/0',
      ],
      [
        'oneOf',
        { properties: { ...GENERIC_BASE, token: { oneOf: [secret, { type: 'integer' }] } } },
        '/properties/token/oneOf/0',
      ],
      ['allOf', { properties: { ...GENERIC_BASE, token: { allOf: [secret] } } }, '/properties/token/allOf/0'],
      [
        'additionalProperties',
        { properties: { ...GENERIC_BASE, keys: { type: 'object', additionalProperties: secret } } },
        '/properties/keys/additionalProperties',
      ],
      [
        'patternProperties',
        { properties: { ...GENERIC_BASE }, patternProperties: { '^key_': { type: 'string', writeOnly: true } } },
        '/patternProperties/^key_',
      ],
      [
        'an object in an array',
        {
          properties: {
            ...GENERIC_BASE,
            list: { type: 'array', items: { type: 'object', properties: { token: secret } } },
          },
        },
        '/properties/list/items/properties/token',
      ],
    ])(
      'refuses a secret marked under %s with 400 CONFIG_SCHEMA_INVALID naming the place',
      async (_kind, schema, pointer) => {
        const res = await template(`misplaced-${Math.random().toString(36).slice(2, 8)}`, schema);
        expect([res.status, res.body.code]).toEqual([400, 'CONFIG_SCHEMA_INVALID']);
        expect(JSON.stringify(res.body)).toContain(pointer);
      },
    );

    it('encrypts a secret nested under properties, and refuses to store plaintext for a template saved before the check', async () => {
      const nested = await template('nested-secret', {
        properties: { ...GENERIC_BASE, auth: { type: 'object', properties: { token: secret } } },
      });
      expect(nested.status).toBe(201);
      const config = {
        mapping: { email: '/email' },
        externalIdPointer: '/id',
        auth: { token: 'nested-plaintext-token' },
      };
      const created = await t.http
        .post('/api/integrations')
        .set('authorization', auth(t, 'ADMIN', [a]))
        .send({ subAccountId: a, integrationTemplateId: nested.body.id, name: 'n', config });
      expect(created.status).toBe(201);
      expect(created.body.config.auth.token).toEqual({ secret: true, last4: 'oken' });
      expect(await countRows(t, "integrations WHERE config::text LIKE '%nested-plaintext-token%'")).toBe(0);

      // a template from before the check, marking a secret under items
      await t.sql.query(
        `UPDATE integration_templates SET config_schema = $1::jsonb, version = version + 1 WHERE id = $2`,
        [
          JSON.stringify({ type: 'object', properties: { ...GENERIC_BASE, tokens: { type: 'array', items: secret } } }),
          nested.body.id,
        ],
      );
      const refused = await t.http
        .post('/api/integrations')
        .set('authorization', auth(t, 'ADMIN', [a]))
        .send({
          subAccountId: a,
          integrationTemplateId: nested.body.id,
          name: 'n2',
          config: { mapping: {}, externalIdPointer: '/id', tokens: ['plain-1'] },
        });
      expect([refused.status, refused.body.code]).toEqual([400, 'CONFIG_SCHEMA_INVALID']);
      expect(await countRows(t, "integrations WHERE config::text LIKE '%plain-1%'")).toBe(0);
    });
  });
});
