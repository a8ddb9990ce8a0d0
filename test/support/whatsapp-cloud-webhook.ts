// Shared fixtures of the whatsapp-cloud.webhook*.spec.ts parts (src/handlers/whatsapp-cloud, unit tier): the
// handler's webhook, a config, its recorded deliveries (src/handlers/whatsapp-cloud/fixtures) and requests
// built from them. (Here rather than beside the specs: the build compiles every non-spec file of src/.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WebhookRequest } from '../../src/handlers/integration-handler';
import { WhatsAppCloudHandler } from '../../src/handlers/whatsapp-cloud/whatsapp-cloud.handler';

export const fixture = (name: string): Buffer =>
  readFileSync(join(__dirname, '../../src/handlers/whatsapp-cloud/fixtures', name));
export const APP_SECRET = 'wa-app-secret-77d1';
export const config = {
  phoneNumberId: '106540352242922',
  wabaId: '102290129340398',
  accessToken: 'EAAG-wa-token',
  appSecret: APP_SECRET,
  verifyToken: 'wa-verify-1',
};
export const handler = new WhatsAppCloudHandler();
export const webhook = handler.webhook;
export const keys = { config, webhookSecrets: [] };

export const request = (rawBody: Buffer, headers: Record<string, string | undefined> = {}): WebhookRequest => ({
  rawBody,
  headers,
  receivedAt: new Date(),
});
export const parsed = (name: string): unknown => JSON.parse(fixture(name).toString('utf8'));

export const WEBHOOK_FIXTURES = [
  'inbound-text-message.json',
  'inbound-text-message-business-button.json',
  'status-delivered.json',
  'status-sent-marketing.json',
  'status-failed-131049.json',
  'inbound-order.openapi-example.json',
  'inbound-button.openapi-example.json',
  'inbound-interactive-list-reply.openapi-example.json',
  'inbound-interactive-button-reply.openapi-example.json',
  'inbound-interactive-nfm-reply.ASSEMBLED.json',
];
