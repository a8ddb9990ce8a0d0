import type { TestApp } from './test-app';

/** Standard configs per API.md "Standard handler configuration", with recognisable secrets. */
export const META_CONFIG = {
  pageId: '109876543210',
  appSecret: 'meta-app-secret-0001',
  pageAccessToken: 'EAAG-page-access-token-abcd',
  verifyToken: 'meta-verify-token-9999',
};
export const GHL_CONFIG = { locationId: 'loc_ABC123', privateIntegrationToken: 'pit-ghl-token-ffff' };
export const WHATSAPP_CONFIG = {
  phoneNumberId: '106540352242922',
  wabaId: '102290129340398',
  accessToken: 'EAAW-whatsapp-token-wxyz',
  appSecret: 'wa-app-secret-7777',
  verifyToken: 'wa-verify-token-3333',
};

export async function createSubAccount(
  t: TestApp,
  tier: 'STARTER' | 'PRO' | 'MAX' = 'PRO',
  name = 'Acme',
): Promise<number> {
  const res = await t.http
    .post('/api/sub-accounts')
    .set('authorization', `Bearer ${t.token('SUPER_ADMIN')}`)
    .send({ name, tier });
  if (res.status !== 201) throw new Error(`sub-account: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as number;
}

export async function templateId(t: TestApp, name: string): Promise<number> {
  const res = await t.sql.query<{ id: number }>('SELECT id FROM integration_templates WHERE name = $1', [name]);
  if (!res.rows[0]) throw new Error(`no template ${name}`);
  return res.rows[0].id;
}

export interface CreatedIntegration {
  id: number;
  webhookSecret: string;
  webhookUrl: string;
  body: Record<string, unknown>;
}

export async function createIntegration(
  t: TestApp,
  subAccountId: number,
  template: string,
  config: Record<string, unknown>,
  name = `${template} #${Math.random().toString(36).slice(2, 7)}`,
): Promise<CreatedIntegration> {
  const res = await t.http
    .post('/api/integrations')
    .set('authorization', `Bearer ${t.token('ADMIN', [subAccountId])}`)
    .send({ subAccountId, integrationTemplateId: await templateId(t, template), name, config });
  if (res.status !== 201) throw new Error(`integration: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, webhookSecret: res.body.webhookSecret, webhookUrl: res.body.webhookUrl, body: res.body };
}

/** The fields of API.md's integration representation, in its order. */
export const INTEGRATION_REPRESENTATION = [
  'id',
  'subAccountId',
  'integrationTemplateId',
  'template',
  'name',
  'description',
  'isActive',
  'status',
  'config',
  'lastSyncAt',
  'lastWebhookAt',
  'errorMessage',
  'webhookUrl',
  'createdAt',
  'updatedAt',
  'createdBy',
  'stats',
];
