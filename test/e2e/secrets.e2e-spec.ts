import { SecretBox } from '../../src/common/crypto/secret-box';
import { parseAppConfig } from '../../src/config/app-config';
import { PrismaService } from '../../src/database/prisma.service';
import { ConfigCodec } from '../../src/modules/integration-templates/config-codec';
import { ConfigSchemaService } from '../../src/modules/integration-templates/config-schema.service';
import { rotateSecrets } from '../../src/modules/integrations/secret-rotation';
import { createTestDatabase } from '../support/database';
import { createIntegration, createSubAccount, GHL_CONFIG, META_CONFIG } from '../support/factories';
import { FakeServer } from '../support/fake-server';
import { createTestApp, TEST_KEY_0, TEST_KEY_1 } from '../support/test-app';

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
      const config = parseAppConfig({ ...process.env, ENCRYPTION_KEYS: `${TEST_KEY_1},${TEST_KEY_0}` });
      const box = new SecretBox(config.encryptionKeys);
      const codec = new ConfigCodec(box, new ConfigSchemaService());
      const first = await rotateSecrets(t.app.get(PrismaService), codec, box);
      expect(first).toEqual({ scanned: 2, rotated: 2, skipped: 0, failed: 0 });
      const again = await rotateSecrets(t.app.get(PrismaService), codec, box);
      expect(again).toEqual({ scanned: 0, rotated: 0, skipped: 0, failed: 0 });
      const stored = await t.sql.query('SELECT config::text || webhook_secret AS s, key_id FROM integrations');
      for (const row of stored.rows) {
        expect(row.key_id).toBe('k1');
        expect(row.s).not.toContain('enc:v1:k0:');
      }
      // the secret still works end to end after rotation
      graph.on('GET', `/${META_CONFIG.pageId}`, (req) =>
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
});
