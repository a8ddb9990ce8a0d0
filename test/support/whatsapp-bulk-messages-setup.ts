// Shared setup of the whatsapp-bulk-messages(-throughput).e2e-spec.ts parts (bulk sends through the single-send core):
// each part boots its own app (workers in this process) against the fake Graph API, listening for its
// signed webhooks; each test sets up a sub-account on a number of its own.
import { WHATSAPP_CONFIG } from './factories';
import { FakeSend, FakeWhatsAppGraph } from './fakes/whatsapp-graph';
import { deliver, SignedDelivery } from './fakes/whatsapp-webhooks';
import { createTestApp, TestApp } from './test-app';
import { eventsSettled, waitFor } from './webhooks';
import { BulkSetup, BulkView, getBulk, whatsAppSetup } from './whatsapp-bulk';
import { digits } from './whatsapp-bulk-setup';

export interface WhatsAppBulkMessages {
  t: TestApp;
  fake: FakeWhatsAppGraph;
  auth(sub: number, role?: 'ADMIN' | 'MANAGER' | 'AGENT'): string;
  /** The fake's accepted sends to these phones (on this number when given). */
  sentTo(phones: string[], phoneNumberId?: string): FakeSend[];
  /** A sub-account on a number of its own (its own bucket at Meta and in the hub). */
  setup(config?: Record<string, unknown>): Promise<BulkSetup & { phoneNumberId: string }>;
  /** Delivers a signed webhook to the app (200). */
  hook(delivery: SignedDelivery): Promise<void>;
  /** Every webhook event processed. */
  processed(): Promise<true>;
  /** A bulk of the setup's template to these leads (202); its id. */
  bulk(s: BulkSetup, leadIds: string[], extra?: Record<string, unknown>): Promise<string>;
  /** The bulk once its status is completed. */
  completed(sub: number, id: string, ms?: number): Promise<BulkView>;
  close(): Promise<void>;
}

export async function setupWhatsAppBulkMessages(): Promise<WhatsAppBulkMessages> {
  const fake = await FakeWhatsAppGraph.start({
    accessToken: WHATSAPP_CONFIG.accessToken,
    appSecret: WHATSAPP_CONFIG.appSecret,
  });
  const t = await createTestApp({ env: { META_GRAPH_URL: fake.url, WEBHOOK_CACHE_TTL_MS: '0' } });
  await t.app.listen(0, '127.0.0.1');
  const url = `${await t.app.getUrl()}/api/webhooks/whatsapp-cloud`.replace('[::1]', '127.0.0.1');
  let numberSeq = 0;
  const auth = (sub: number, role: 'ADMIN' | 'MANAGER' | 'AGENT' = 'MANAGER') => `Bearer ${t.token(role, [sub])}`;
  return {
    t,
    fake,
    auth,
    sentTo: (phones, phoneNumberId) =>
      fake.accepted(phoneNumberId).filter((s) => phones.map(digits).includes(digits(s.to))),
    setup: async (config = {}) => {
      const phoneNumberId = `1065403522${String(50_000 + ++numberSeq)}`;
      const s = await whatsAppSetup(t, fake, { phoneNumberId, ...config });
      return { ...s, phoneNumberId };
    },
    hook: async (delivery) => {
      const res = await deliver(url, delivery);
      expect(res.status).toBe(200);
    },
    processed: () => eventsSettled(t),
    bulk: async (s, leadIds, extra = {}) => {
      const res = await t.http
        .post('/api/whatsapp/bulk')
        .set('authorization', auth(s.subAccountId))
        .send({
          subAccountId: s.subAccountId,
          leadIds,
          template: { id: s.templateId },
          parameters: { '1': '{{lead.firstName}}' },
          ...extra,
        });
      expect(res.status).toBe(202);
      return res.body.id as string;
    },
    completed: (sub, id, ms = 60_000) =>
      waitFor(
        async () => {
          const view = await getBulk(t, sub, id);
          return view.status === 'completed' ? view : null;
        },
        ms,
        `bulk ${id} to complete`,
      ),
    close: async () => {
      await t.close();
      await fake.close();
    },
  };
}
