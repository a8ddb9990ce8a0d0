// WhatsApp business-scoped user ids: username-only senders, BSUID changes, statuses and replies by user id.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeServer } from '../../../test/support/fake-server';
import { handlerContext } from '../../../test/support/handler-context';
import type { StoredEvent, WebhookRequest } from '../integration-handler';
import { recipientOf } from './whatsapp-cloud.api';
import { WhatsAppCloudHandler } from './whatsapp-cloud.handler';
import { contactKey } from './whatsapp-cloud.payload';

const raw = (name: string): Buffer => readFileSync(join(__dirname, 'fixtures', name));
const NOW = new Date('2026-11-30T12:00:00Z');
const BSUID = 'US.13491208655302741918';
const config = {
  phoneNumberId: '106540352242922',
  wabaId: '102290129340398',
  accessToken: 'EAAG-wa-token',
  appSecret: 'wa-app-secret',
  verifyToken: 'wa-verify',
};
const handler = new WhatsAppCloudHandler();
const request = (body: Buffer): WebhookRequest => ({ rawBody: body, headers: {}, receivedAt: NOW });

/** Extracted as the pipeline does, then stored and read back as JSON (what processing sees). */
function stored(name: string): StoredEvent[] {
  const body = raw(name);
  return handler.webhook.extractEvents(JSON.parse(body.toString('utf8')), request(body)).map((e) => ({
    id: '1',
    eventType: e.eventType,
    externalId: e.externalId,
    payload: JSON.parse(JSON.stringify(e.payload)) as unknown,
    receivedAt: NOW,
  }));
}

describe('WhatsApp business-scoped user ids (issue 10 point 5)', () => {
  it('accepts a message from a username-only user (no from, no wa_id) and keys the contact by the BSUID', async () => {
    const [event] = stored('inbound-text-message.username-only.ASSEMBLED.json');
    expect(event.eventType).toBe('message');
    expect(event.payload).toMatchObject({
      contact: { userId: BSUID, username: '@sheena', profileName: 'Sheena Nelson' },
      text: 'Does it come in another color?',
    });
    expect((event.payload as { from?: string }).from).toBeUndefined();
    const outcome = await handler.processWebhook(event, handlerContext(config));
    expect(outcome).toEqual({
      leads: [
        {
          platform: 'whatsapp',
          externalId: BSUID,
          fullName: 'Sheena Nelson',
          customAnswers: { 'WhatsApp username': '@sheena' },
          source: {},
        },
      ],
      interactions: [
        {
          platform: 'whatsapp',
          externalId: BSUID,
          channel: 'whatsapp',
          direction: 'inbound',
          body: 'Does it come in another color?',
          occurredAt: '2025-06-08T20:59:43.000Z',
          externalMessageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
        },
      ],
    });
  });

  it('keys by wa_id when present, keeps the BSUID as a second id, and the click-to-WhatsApp ad as the source', async () => {
    const [event] = stored('inbound-text-message.with-bsuid-and-ctwa.ASSEMBLED.json');
    const { leads } = await handler.processWebhook(event, handlerContext(config));
    expect(leads).toEqual([
      {
        platform: 'whatsapp',
        externalId: '16505551234',
        fullName: 'Sheena Nelson',
        phone: '+16505551234',
        otherExternalIds: [BSUID],
        source: {
          adId: '120226305854810726',
          details: {
            ctwaClid:
              'ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0-eM-GABDLOPaOdRMv-_zfUQ2a',
            referralHeadline: 'Spring sale',
            referralBody: 'Chat with us to get 20% off your first order',
            referralSourceUrl: 'https://fb.me/2ZbXAYk5c',
            referralSourceType: 'ad',
            referralSourceId: '120226305854810726',
            referralMediaType: 'image',
          },
        },
      },
    ]);
  });

  it('turns user_changed_user_id into an alias of the lead known by the old BSUID, creating nothing', async () => {
    const [event] = stored('system.user-changed-user-id.ASSEMBLED.json');
    expect(event.payload).toMatchObject({
      type: 'system',
      identityChange: { type: 'user_changed_user_id', newUserId: 'US.99170255311048736552', previousUserId: BSUID },
    });
    await expect(handler.processWebhook(event, handlerContext(config))).resolves.toEqual({
      leads: [],
      aliases: [{ platform: 'whatsapp', externalId: BSUID, aliasExternalId: 'US.99170255311048736552' }],
    });
  });

  it('keeps a status addressed by BSUID only', () => {
    const [status] = stored('status-delivered.username-only.ASSEMBLED.json');
    expect(status.payload).toMatchObject({ status: 'delivered', recipientUserId: BSUID });
    expect((status.payload as { recipientId?: string }).recipientId).toBeUndefined();
  });

  it('drops a message that names nobody, and reads payloads stored before BSUIDs', async () => {
    const nobody = {
      object: 'whatsapp_business_account',
      entry: [
        {
          changes: [
            {
              field: 'messages',
              value: {
                metadata: { phone_number_id: '106540352242922' },
                messages: [{ id: 'wamid.x', type: 'text', text: { body: 'hi' } }],
              },
            },
          ],
        },
      ],
    };
    expect(handler.webhook.extractEvents(nobody, request(Buffer.from('{}')))).toEqual([]);
    const legacy: StoredEvent = {
      id: '2',
      eventType: 'message',
      externalId: 'wamid.old',
      payload: { phoneNumberId: '106540352242922', from: '351912345678', contactName: 'Ana', id: 'wamid.old' },
      receivedAt: NOW,
    };
    const { leads } = await handler.processWebhook(legacy, handlerContext(config));
    expect(leads[0]).toMatchObject({ externalId: '351912345678', fullName: 'Ana', phone: '+351912345678' });
    expect(contactKey({ userId: BSUID })).toBe(BSUID);
  });

  describe('replies to a user id', () => {
    let server: FakeServer;
    beforeAll(async () => {
      server = await FakeServer.start();
    });
    afterAll(() => server.close());

    it('sends to a BSUID as recipient and to a number as to', async () => {
      server.on('POST', '/106540352242922/messages', () => ({
        status: 200,
        body: { messaging_product: 'whatsapp', messages: [{ id: 'wamid.sent1' }] },
      }));
      const ctx = handlerContext(config, { metaGraph: server.url }, { now: NOW });
      await handler.sendText(ctx, BSUID, 'Thanks, Sheena!');
      await handler.sendText(ctx, '16505551234', 'Thanks!');
      const [toUser, toNumber] = server.requests.map((r) => r.body as Record<string, unknown>);
      expect(toUser).toMatchObject({ recipient: BSUID, type: 'text', text: { body: 'Thanks, Sheena!' } });
      expect(toUser.to).toBeUndefined();
      expect(toNumber).toMatchObject({ to: '16505551234' });
      expect(recipientOf('US.ENT.11815799212886844830')).toEqual({ recipient: 'US.ENT.11815799212886844830' });
      expect(recipientOf('+351 912 345 678')).toEqual({ to: '+351 912 345 678' });
    });
  });
});
