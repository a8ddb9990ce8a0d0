// A Messenger page connected to the sub-account of startWhatsApp12 (whatsapp-issue12-setup.ts), and a
// signed delivery of one text its person wrote: for specs that check the inbox rules on both channels.
import { createIntegration } from './factories';
import type { TestApp } from './test-app';
import { activate, eventsSettled, metaSignature } from './webhooks';

export type MessengerPageConfig = {
  pageId: string;
  pageAccessToken: string;
  appSecret: string;
  verifyToken: string;
};

export async function connectMessengerPage(t: TestApp, subAccountId: number, page: MessengerPageConfig): Promise<void> {
  await activate(t, subAccountId, (await createIntegration(t, subAccountId, 'facebook-messenger', page)).id);
}

/** `writes(psid, mid, text, ms?)`: the person `psid` wrote `text` at `ms` (now by default); waits until it is processed. */
export function messengerWrites(t: () => TestApp, page: MessengerPageConfig) {
  return async (psid: string, mid: string, text: string, ms = Date.now()): Promise<void> => {
    const body = JSON.stringify({
      object: 'page',
      entry: [
        {
          id: page.pageId,
          time: ms,
          messaging: [{ sender: { id: psid }, recipient: { id: page.pageId }, timestamp: ms, message: { mid, text } }],
        },
      ],
    });
    const res = await t()
      .http.post('/api/webhooks/facebook-messenger')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', metaSignature(body, page.appSecret))
      .send(body);
    expect(res.status).toBe(200);
    await eventsSettled(t());
  };
}
