// Contract audit 18, inbound WhatsApp Cloud webhooks (API.md "WhatsApp" → Message, and "Webhooks"): what a
// CRM frontend reads back over the API after Meta delivers inbound messages through the signed webhook.
import { deliver, newWamid, statusOf } from '../support/fakes/whatsapp-webhooks';
import { waitFor } from '../support/webhooks';
import {
  nowSeconds,
  PHONE_ID,
  WABA,
  startWhatsApp12,
  WhatsApp12,
  whatsApp12Helpers,
} from '../support/whatsapp-issue12-setup';

const CONTACT = '16505559876';

describe('contract audit 18: inbound WhatsApp messages (signed webhook → API)', () => {
  let w: WhatsApp12;
  const { get, post, message, processed } = whatsApp12Helpers(() => w);

  beforeAll(async () => {
    w = await startWhatsApp12();
  });
  afterAll(async () => {
    await w.close();
  });

  const inbound = async (wamid: string) => {
    const list = await get(`/api/whatsapp/messages?subAccountId=${w.sub}&direction=inbound&pageSize=200`, w.agent);
    expect(list.status).toBe(200);
    return (list.body.items as Array<Record<string, unknown>>).find((m) => m.wamid === wamid);
  };

  it("shows why WhatsApp could not deliver an unsupported message as the message's error", async () => {
    // Unsupported messages webhook reference (developers.facebook.com/documentation/business-messaging/
    // whatsapp/webhooks/reference/messages/unsupported): type "unsupported", errors[] with code, title,
    // message and error_data.details, and nothing else to show.
    const wamid = newWamid();
    const res = await deliver(
      w.url,
      w.hooks.inbound(
        { waId: CONTACT, name: 'Ana' },
        {
          id: wamid,
          timestamp: String(nowSeconds()),
          type: 'unsupported',
          unsupported: { type: 'edit' },
          errors: [
            {
              code: 131051,
              title: 'Message type unknown',
              message: 'Message type unknown',
              error_data: { details: 'Message type is currently not supported.' },
            },
          ],
        },
      ),
    );
    expect(res.status).toBe(200);
    await processed();
    // API.md Message: `error: { code, title, details }?` — the only thing the CRM can show for it
    expect(await inbound(wamid)).toMatchObject({
      type: 'unsupported',
      status: 'received',
      text: null,
      error: { code: 131051, title: 'Message type unknown', details: 'Message type is currently not supported.' },
    });

    // a code no column holds (garbage from a sender) still leaves the message and its title
    const odd = newWamid();
    const oddDelivery = w.hooks.inbound(
      { waId: CONTACT },
      { id: odd, timestamp: String(nowSeconds()), type: 'unsupported', errors: [{ code: 1e20, title: 'Odd' }] },
    );
    expect((await deliver(w.url, oddDelivery)).status).toBe(200);
    await processed();
    expect(await inbound(odd)).toMatchObject({
      type: 'unsupported',
      error: { code: null, title: 'Odd', details: null },
    });
  });

  it('marks a message failed when its failed status carries an error code no column can hold', async () => {
    // the contact wrote in the first test: the window is open for free text
    const res = await post('/api/whatsapp/messages', w.agent, { subAccountId: w.sub, to: `+${CONTACT}`, text: 'Hi' });
    expect(res.status).toBe(202);
    const id = res.body.id as string;
    const wamid = await waitFor(async () => {
      const row = await message(id);
      return typeof row?.wamid === 'string' ? row.wamid : undefined;
    });
    const failed = statusOf(wamid, 'failed', {
      timestamp: nowSeconds(),
      recipientId: CONTACT,
      errors: [{ code: 1e20, title: 'Garbage code', details: 'sent by a confused provider' }],
    });
    expect((await deliver(w.url, w.hooks.statuses([failed]))).status).toBe(200);
    await processed();
    const list = await get(`/api/whatsapp/messages?subAccountId=${w.sub}&direction=outbound&pageSize=200`, w.agent);
    expect((list.body.items as Array<{ id: string }>).find((m) => m.id === id)).toMatchObject({
      status: 'failed',
      error: { code: null, title: 'Garbage code', details: 'sent by a confused provider' },
    });
  });

  it('records every message of a delivery holding several entries and changes, once, in time order', async () => {
    const [first, second, third] = [newWamid(), newWamid(), newWamid()];
    const at = nowSeconds() - 60;
    const change = (messages: Array<Record<string, unknown>>) => ({
      field: 'messages',
      value: {
        messaging_product: 'whatsapp',
        metadata: { display_phone_number: '15550783881', phone_number_id: PHONE_ID },
        contacts: [{ profile: { name: 'Ana' }, wa_id: CONTACT }],
        messages,
      },
    });
    const text = (id: string, body: string, ts: number) => ({
      from: CONTACT,
      id,
      timestamp: String(ts),
      type: 'text',
      text: { body },
    });
    // delivered out of order: the latest message comes first
    const payload = {
      object: 'whatsapp_business_account',
      entry: [
        { id: WABA, changes: [change([text(third, 'three', at + 20)])] },
        {
          id: WABA,
          changes: [change([text(first, 'one', at)]), change([text(second, 'two', at + 10)])],
        },
      ],
    };
    const res = await deliver(w.url, w.hooks.sign(payload));
    expect(res.status).toBe(200);
    // Meta retries the whole delivery: nothing doubles
    expect((await deliver(w.url, w.hooks.sign(payload))).status).toBe(200);
    await processed();
    const list = await get(`/api/whatsapp/messages?subAccountId=${w.sub}&direction=inbound&pageSize=200`, w.agent);
    const ours = (list.body.items as Array<{ wamid: string; text: string }>).filter((m) =>
      [first, second, third].includes(m.wamid),
    );
    expect(ours.map((m) => m.text)).toEqual(['three', 'two', 'one']);
  });
});
