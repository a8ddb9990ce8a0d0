// Shared setup of the whatsapp-bulk-lifecycle and whatsapp-bulk-contract e2e parts (bulk sends over HTTP
// against the fake Graph API): each part boots its own app (workers in this process, APP_ROLE=all) with two
// tenants on their own numbers.
import { WHATSAPP_CONFIG } from './factories';
import { FakeSend, FakeWhatsAppGraph } from './fakes/whatsapp-graph';
import { createTestApp, TestApp } from './test-app';
import { waitFor } from './webhooks';
import { BulkSetup, BulkView, getBulk, whatsAppSetup } from './whatsapp-bulk';

// a known contact is sent to by its wa_id (digits), a new one by its E.164 phone, as single sends do
export const digits = (phone: string) => phone.replace(/[^0-9]/g, '');

export interface WhatsAppBulkFixture {
  t: TestApp;
  fake: FakeWhatsAppGraph;
  /** The first tenant, on WHATSAPP_CONFIG's number. */
  a: BulkSetup;
  /** Another tenant, on another number (106540352249999). */
  b: BulkSetup;
  auth(sub: number, role?: 'ADMIN' | 'MANAGER' | 'AGENT'): string;
  /** The fake's accepted sends to these phones. */
  sentTo(phones: string[]): FakeSend[];
  /** The bulk once its status is completed (waits up to 60 s). */
  completed(sub: number, id: string): Promise<BulkView>;
  close(): Promise<void>;
}

export async function setupWhatsAppBulk(): Promise<WhatsAppBulkFixture> {
  const fake = await FakeWhatsAppGraph.start({
    accessToken: WHATSAPP_CONFIG.accessToken,
    appSecret: WHATSAPP_CONFIG.appSecret,
  });
  const t = await createTestApp({ env: { META_GRAPH_URL: fake.url } });
  const a = await whatsAppSetup(t, fake);
  // another tenant, on another number
  const b = await whatsAppSetup(t, fake, { phoneNumberId: '106540352249999' });
  return {
    t,
    fake,
    a,
    b,
    auth: (sub, role = 'MANAGER') => `Bearer ${t.token(role, [sub])}`,
    sentTo: (phones) => fake.accepted().filter((s) => phones.map(digits).includes(digits(s.to))),
    completed: (sub, id) =>
      waitFor(
        async () => {
          const bulk = await getBulk(t, sub, id);
          return bulk.status === 'completed' ? bulk : null;
        },
        60_000,
        `bulk ${id} to complete`,
      ),
    close: async () => {
      await t.close();
      await fake.close();
    },
  };
}
