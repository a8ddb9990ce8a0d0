import { SecretBox } from '../../src/common/crypto/secret-box';
import { ConfigCodec } from '../../src/modules/integration-templates/config-codec';
import { ConfigSchemaService } from '../../src/modules/integration-templates/config-schema.service';
import { IntegrationsRepository } from '../../src/modules/integrations/integrations.repository';
import { rotateSecrets } from '../../src/modules/integrations/secret-rotation';
import { createTestDatabase } from '../support/database';
import { createIntegration, createSubAccount, GHL_CONFIG, META_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { legacySeal } from '../support/security';
import { createTestApp, TEST_KEY_0, TEST_KEY_1, testConfig } from '../support/test-app';
import { activate, genericSignature } from '../support/webhooks';

describe('secrets at rest: key rotation and unknown keys', () => {
  it('rotates every stored secret to the first key, re-runnably, and refuses to boot without a key in use', async () => {
    const db = await createTestDatabase();
    const graph = await FakeServer.start();
    try {
      // 1. data sealed with k0
      let t = await createTestApp({ db, env: { ENCRYPTION_KEYS: TEST_KEY_0, META_GRAPH_URL: graph.url } });
      const sub = await createSubAccount(t, 'MAX');
      const meta = await createIntegration(t, sub, 'meta-lead-ads', META_CONFIG);
      await createIntegration(t, sub, 'gohighlevel', GHL_CONFIG);
      await t.close();

      // 2. k1 first, k0 still known: boots, reads, and rotation re-seals with k1
      t = await createTestApp({
        db,
        env: { ENCRYPTION_KEYS: `${TEST_KEY_1},${TEST_KEY_0}`, META_GRAPH_URL: graph.url },
      });
      const read = await t.http
        .get(`/api/integrations/${meta.id}`)
        .set('authorization', `Bearer ${t.token('ADMIN', [sub])}`);
      expect(read.body.config.pageAccessToken).toEqual({ secret: true, last4: 'abcd' });
      const config = testConfig(db.url, { ENCRYPTION_KEYS: `${TEST_KEY_1},${TEST_KEY_0}` });
      const box = new SecretBox(config.encryptionKeys);
      const codec = new ConfigCodec(box, new ConfigSchemaService());
      const repository = t.app.get(IntegrationsRepository);
      const first = await rotateSecrets(repository, codec, box);
      expect(first).toEqual({ scanned: 2, rotated: 2, skipped: 0, failed: 0 });
      const again = await rotateSecrets(repository, codec, box);
      expect(again).toEqual({ scanned: 0, rotated: 0, skipped: 0, failed: 0 });
      const stored = await t.sql.query('SELECT config::text || webhook_secret AS s, key_id FROM integrations');
      for (const row of stored.rows) {
        expect(row.key_id).toBe('k1');
        expect(row.s).not.toContain(':k0:');
      }
      // the secret still works end to end after rotation
      graph.on('GET', '/me', (req) =>
        req.headers.authorization === `Bearer ${META_CONFIG.pageAccessToken}`
          ? { status: 200, body: { id: META_CONFIG.pageId, name: 'Acme' } }
          : { status: 401, body: {} },
      );
      expect(
        (
          await t.http
            .post(`/api/integrations/${meta.id}/test`)
            .set('authorization', `Bearer ${t.token('ADMIN', [sub])}`)
        ).status,
      ).toBe(200);
      await t.close();

      // 3. data on k1, only k0 configured → boot refused with a message naming the key id
      await expect(createTestApp({ db, env: { ENCRYPTION_KEYS: TEST_KEY_0 } })).rejects.toThrow(
        /key id\(s\) k1, which ENCRYPTION_KEYS does not contain/,
      );
    } finally {
      await graph.close();
      await db.drop();
    }
  });

  it('binds the values of rows sealed before issue 9 to their row and field at the next start, and they keep working', async () => {
    const db = await createTestDatabase();
    try {
      let t = await createTestApp({ db });
      const sub = await createSubAccount(t, 'MAX');
      const generic = await createIntegration(t, sub, 'generic-webhook', {
        mapping: { email: '/email' },
        externalIdPointer: '/id',
      });
      const ghl = await createIntegration(t, sub, 'gohighlevel', GHL_CONFIG);
      // as the first format stored them: sealed for the key id only
      const key = Buffer.from(TEST_KEY_1.split(':')[1], 'base64');
      await t.sql.query(
        `UPDATE integrations SET seal_version = 1, webhook_secret = $1,
           config = jsonb_set(config, '{privateIntegrationToken}', to_jsonb($2::text)) WHERE id = $3`,
        [legacySeal('k1', key, 'legacy-webhook-secret'), legacySeal('k1', key, 'legacy-pit-0001'), ghl.id],
      );
      await t.sql.query('UPDATE integrations SET seal_version = 1, webhook_secret = $1 WHERE id = $2', [
        legacySeal('k1', key, generic.webhookSecret),
        generic.id,
      ]);
      await t.close();

      t = await createTestApp({ db, env: { WEBHOOK_CACHE_TTL_MS: '0' } });
      const rows = await t.sql.query<{ seal_version: number; s: string }>(
        'SELECT seal_version, config::text || webhook_secret AS s FROM integrations ORDER BY id',
      );
      for (const row of rows.rows) {
        expect(row.seal_version).toBe(2);
        expect(row.s).not.toContain('enc:v1:');
      }
      const read = await t.http
        .get(`/api/integrations/${ghl.id}`)
        .set('authorization', `Bearer ${t.token('ADMIN', [sub])}`);
      expect(read.body.config.privateIntegrationToken).toEqual({ secret: true, last4: '0001' });
      // the generic webhook still verifies with the secret it was given, now bound to its row
      await activate(t, sub, generic.id);
      const body = JSON.stringify({ id: 'legacy-1', email: 'legacy@example.com' });
      const ts = Math.floor(Date.now() / 1000);
      const res = await t.http
        .post(new URL(generic.webhookUrl).pathname)
        .set('content-type', 'application/json')
        .set('x-webhook-timestamp', String(ts))
        .set('x-webhook-signature', genericSignature(body, generic.webhookSecret, ts))
        .send(body);
      expect(res.status).toBe(200);
      await t.close();
    } finally {
      await db.drop();
    }
  });
});
