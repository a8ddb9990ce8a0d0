import { createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAjv } from '../../common/json-schema/ajv';
import { StoredEvent, WebhookRequest } from '../integration-handler';
import { GHL_DEFAULT_RSA_PUBLIC_KEY } from './ghl-public-key';
import { GoHighLevelHandler } from './gohighlevel.handler';
import { handlerContext } from '../../../test/support/handler-context';

const fixture = (name: string): Buffer => readFileSync(join(__dirname, 'fixtures', name));
const json = (name: string): unknown => JSON.parse(fixture(name).toString('utf8'));

const handler = new GoHighLevelHandler();
const webhook = handler.webhook;

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }).toString();

const RECEIVED_AT = new Date('2025-01-28T14:36:00Z');
function delivery(raw: Buffer | string, headers: Record<string, string>, receivedAt = RECEIVED_AT): WebhookRequest {
  return { rawBody: Buffer.from(raw), headers, receivedAt };
}
const configured = {
  locationId: 've9EPM428h8vShlRW1KT',
  privateIntegrationToken: 'pit-test',
  webhookPublicKey: pem(rsa.publicKey),
};

function event(payload: unknown): StoredEvent {
  const [extracted] = webhook.extractEvents(payload, delivery('{}', {}));
  return {
    id: '1',
    eventType: extracted.eventType,
    externalId: extracted.externalId,
    payload,
    receivedAt: RECEIVED_AT,
  };
}
const apply = (payload: unknown) => handler.processWebhook(event(payload), handlerContext(configured));

describe('GoHighLevelHandler: description and config', () => {
  it('describes itself as the standard CRM handler with GoHighLevel burst limits', () => {
    expect(handler.key).toBe('gohighlevel');
    expect(handler.displayName).toBe('GoHighLevel');
    expect(handler.category).toBe('CRM');
    expect(handler.capabilities).toEqual(['webhook', 'sync', 'test']);
    expect(handler.defaultRateLimitPerMinute).toBe(600);
    expect(handler.rateLimit).toEqual({ limit: 100, windowMs: 10_000 });
    expect(webhook.routing).toBe('provider');
  });

  it('has a config schema that compiles under strict Ajv and marks only the token secret', () => {
    const validate = createAjv().compile(handler.defaultConfigSchema);
    expect(validate({ locationId: 'loc1', privateIntegrationToken: 'pit' })).toBe(true);
    expect(
      validate({
        locationId: 'loc1',
        privateIntegrationToken: 'pit',
        calendarId: 'cal',
        webhookPublicKey: pem(rsa.publicKey),
      }),
    ).toBe(true);
    expect(validate({ locationId: 'loc1' })).toBe(false);
    expect(validate({ locationId: 'loc1', privateIntegrationToken: 'pit', extra: 1 })).toBe(false);
    const secrets = Object.entries(handler.defaultConfigSchema.properties)
      .filter(([, p]) => p['x-secret'] === true)
      .map(([k]) => k);
    expect(secrets).toEqual(['privateIntegrationToken']);
    for (const property of Object.values(handler.defaultConfigSchema.properties))
      expect(typeof property.description).toBe('string');
  });

  it('embeds the published RSA-4096 key verbatim and checks configured keys by type', () => {
    expect(GHL_DEFAULT_RSA_PUBLIC_KEY).toBe(fixture('x-wh-signature.rsa-public-key.pem').toString('utf8').trim());
    const key = createPublicKey(GHL_DEFAULT_RSA_PUBLIC_KEY);
    expect(key.asymmetricKeyType).toBe('rsa');
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(4096);
    const unconfirmedEd = fixture('x-ghl-signature.ed25519-public-key.UNCONFIRMED.pem').toString('utf8');
    expect(handler.validateConfig({ ...configured, webhookEd25519PublicKey: unconfirmedEd })).toEqual([]);
    expect(handler.validateConfig({ ...configured, webhookPublicKey: unconfirmedEd })).toEqual([
      { pointer: '/webhookPublicKey', message: 'webhookPublicKey has key type ed25519, expected rsa' },
    ]);
    expect(handler.validateConfig({ ...configured, webhookEd25519PublicKey: 'not a key' })).toEqual([
      { pointer: '/webhookEd25519PublicKey', message: 'webhookEd25519PublicKey is not a PEM public key' },
    ]);
  });
});

describe('GoHighLevelHandler: routing and event ids', () => {
  it('routes by locationId, location_id or appointment.locationId', () => {
    expect(webhook.routingKeys?.(json('ContactCreate.json'))).toEqual(['ve9EPM428h8vShlRW1KT']);
    expect(webhook.routingKeys?.(json('AppointmentCreate.json'))).toEqual(['0007BWpSzSwfiuSl0tR2']);
    expect(webhook.routingKeys?.(json('AppInstall.location-whitelabel.json'))).toEqual(['otg8dTQqGLh3Q6iQI55w']);
    expect(webhook.routingKeys?.(json('AppInstall.agency.json'))).toEqual([]);
    expect(webhook.routingKeys?.({ type: 'X', location_id: 'loc-snake' })).toEqual(['loc-snake']);
    expect(webhook.routingKeys?.({ type: 'AppointmentUpdate', appointment: { locationId: 'loc-appt' } })).toEqual([
      'loc-appt',
    ]);
    expect(webhook.routingKeys?.('not an object')).toEqual([]);
    expect(webhook.routingKeyOf?.(configured)).toBe('ve9EPM428h8vShlRW1KT');
    const payload = json('InboundMessage.sms.json');
    expect(webhook.selectForRoutingKey?.(payload, 'l1C08ntBrFjLS0elLIYU')).toBe(payload);
  });

  it('derives one event per delivery with a stable id', () => {
    const ids = (name: string) =>
      webhook.extractEvents(json(name), delivery('{}', {})).map((e) => [e.eventType, e.externalId]);
    expect(ids('AppointmentCreate.json')).toEqual([
      ['AppointmentCreate', 'AppointmentCreate:0007BWpSzSwfiuSl0tR2:2023-09-25T16:00:00+05:30'],
    ]);
    expect(ids('InboundMessage.sms.json')).toEqual([
      ['InboundMessage', 'InboundMessage:cI08i1Bls3iTB9bKgFJh:2021-04-21T11:31:45.750Z'],
    ]);
    expect(ids('InboundMessage.call-labelled-OutboundMessage-in-docs.json')).toEqual([
      ['OutboundMessage', 'OutboundMessage:tyW42xCD0HQpb3hhfLcx:2024-05-08T11:57:42.250Z'],
    ]);
    // a type the hub does not apply is no event (API.md: a verified delivery with nothing to process is ignored)
    expect(ids('AppInstall.location-non-whitelabel.json')).toEqual([]);
    expect(ids('OpportunityStatusUpdate.json')).toHaveLength(1);
    expect(ids('ContactCreate.json')[0][1]).toMatch(/^ContactCreate:nmFmQEsNgz6AVpgLVUJ0:sha256-[0-9a-f]{32}$/);
    expect(ids('OpportunityStatusUpdate.json')[0][1]).toMatch(
      /^OpportunityStatusUpdate:wWhVuzqpRuOA1ZVWi4FC:sha256-[0-9a-f]{32}$/,
    );
  });

  it('keys dateless updates by content: a redelivery matches, a later update does not', () => {
    const update = json('ContactUpdate.json') as Record<string, unknown>;
    const id = (p: unknown) => webhook.extractEvents(p, delivery('{}', {}))[0].externalId;
    expect(id(structuredClone(update))).toBe(id(update));
    expect(id({ ...update, email: 'new@example.com' })).not.toBe(id(update));
    expect(id({ ...update, dateUpdated: '2024-01-01T00:00:00.000Z' })).toBe(
      'ContactUpdate:nmFmQEsNgz6AVpgLVUJ0:2024-01-01T00:00:00.000Z',
    );
    expect(id({ ...update, webhookId: 'wh-42' })).toBe('wh-42');
  });
});

describe('GoHighLevelHandler: processing events', () => {
  const contactLead = {
    platform: 'gohighlevel',
    externalId: 'nmFmQEsNgz6AVpgLVUJ0',
    fullName: 'John Deo',
    firstName: 'John',
    lastName: 'Deo',
    email: 'JohnDeo@gmail.comm',
    phone: '+919509597501',
    company: 'Loram ipsum',
    city: 'ruDolomitebika',
    region: 'AL',
    postalCode: '452001',
    country: 'DE',
    tags: ['id magna sed Lorem', 'Duis dolor commodo aliqua'],
    customAnswers: { BcdmQEsNgz6AVpgLVUJ0: 'XYZ Corp' },
    submittedAt: '2021-11-26T12:41:02.193Z',
    // the contact's `source`, the only attribution a contact webhook carries
    source: { details: { source: 'xyz form' } },
  };

  it('maps ContactCreate and ContactUpdate to a lead, each as of when its record was', async () => {
    // a create is the contact as added; an update without dateUpdated is as of its arrival, so a
    // ContactCreate delivered after it is older and cannot undo it (apply_lead's fields_as_of)
    expect(await apply(json('ContactCreate.json'))).toEqual({
      leads: [{ ...contactLead, observedAt: '2021-11-26T12:41:02.193Z' }],
    });
    expect(await apply(json('ContactUpdate.json'))).toEqual({
      leads: [{ ...contactLead, observedAt: RECEIVED_AT.toISOString() }],
    });
    const changed = {
      ...(json('ContactUpdate.json') as Record<string, unknown>),
      dateUpdated: '2024-05-01T10:00:00.000Z',
    };
    expect(await apply(changed)).toEqual({ leads: [{ ...contactLead, observedAt: '2024-05-01T10:00:00.000Z' }] });
  });

  it("dates a contact without a usable dateUpdated by the signed body's timestamp, before its arrival", async () => {
    // a retried update is as of when GoHighLevel sent it; a dateUpdated naming no instant is skipped
    // (left to apply_lead it fell back to dateAdded: "older than everything", the update lost)
    const sent = { ...(json('ContactUpdate.json') as Record<string, unknown>), timestamp: '2025-01-28T13:50:00.000Z' };
    expect(await apply(sent)).toEqual({ leads: [{ ...contactLead, observedAt: '2025-01-28T13:50:00.000Z' }] });
    expect(await apply({ ...sent, dateUpdated: 'not a date' })).toEqual({
      leads: [{ ...contactLead, observedAt: '2025-01-28T13:50:00.000Z' }],
    });
    expect(
      await apply({ ...(json('ContactUpdate.json') as Record<string, unknown>), dateUpdated: 'not a date' }),
    ).toEqual({
      leads: [{ ...contactLead, observedAt: RECEIVED_AT.toISOString() }],
    });
    // a create stays the contact as added, even with a later timestamp
    expect(
      await apply({
        ...(json('ContactCreate.json') as Record<string, unknown>),
        timestamp: '2025-01-28T13:50:00.000Z',
      }),
    ).toEqual({
      leads: [{ ...contactLead, observedAt: '2021-11-26T12:41:02.193Z' }],
    });
  });

  it('takes form and campaign attribution from attributionSource', async () => {
    const attributionSource = {
      url: 'https://example.com/form',
      medium: 'form',
      mediumId: 'form-77',
      campaignId: 'cmp-9',
      campaign: 'Spring',
      gclid: 'g-1',
    };
    const outcome = await apply({ ...(json('ContactCreate.json') as object), attributionSource });
    expect(outcome.leads[0].source).toEqual({
      formId: 'form-77',
      campaignId: 'cmp-9',
      campaignName: 'Spring',
      gclid: 'g-1',
      details: { source: 'xyz form', medium: 'form', url: 'https://example.com/form' },
    });
    const calendarTouch = await apply({
      ...(json('ContactCreate.json') as object),
      attributionSource: { url: 'x', medium: 'calendar', mediumId: 'cal-1' },
    });
    expect(calendarTouch.leads[0].source).toEqual({ details: { source: 'xyz form', medium: 'calendar', url: 'x' } });
  });

  it('keeps custom field values that have a text form, keyed by field id', async () => {
    const customFields = [
      { id: 'cf-number', value: 42 },
      { id: 'cf-multi', value: ['a', 'b', 3] },
      { id: 'cf-flag', value: false },
      { id: 'cf-object', value: { nested: true } },
      { id: 'cf-empty', value: '  ' },
      { value: 'no id' },
    ];
    const outcome = await apply({ ...(json('ContactCreate.json') as object), customFields });
    expect(outcome.leads[0].customAnswers).toEqual({ 'cf-number': '42', 'cf-multi': 'a, b, 3', 'cf-flag': 'false' });
  });

  it('maps AppointmentCreate to a booking of the contact', async () => {
    expect(await apply(json('AppointmentCreate.json'))).toEqual({
      leads: [],
      bookings: [
        {
          platform: 'gohighlevel',
          externalId: '9NkT25Vor1v4aQatFsv2',
          externalBookingId: '0007BWpSzSwfiuSl0tR2',
          calendarId: 'BqTwX8QFwXzpegMve9EQ',
          title: 'Appointment with GHL Dev team',
          startTime: '2023-09-25T16:00:00+05:30',
          endTime: '2023-09-25T16:00:00+05:30',
          status: 'confirmed',
          changedAt: '2023-09-25T16:00:00+05:30',
        },
      ],
    });
  });

  it('maps opportunity statuses won/lost/abandoned and ignores open', async () => {
    const opportunity = json('OpportunityStatusUpdate.json') as Record<string, unknown>;
    expect(await apply(opportunity)).toEqual({ leads: [], ignoredReason: 'opportunity status open is not applied' });
    // dated with the delivery's arrival when the payload has no date, so replays and late deliveries are ordered
    const change = (status: string, changedAt = RECEIVED_AT.toISOString()) => ({
      leads: [],
      statusChanges: [{ platform: 'gohighlevel', externalId: 'cJAWDskpkJHbRbhAT7bs', status, changedAt }],
    });
    expect(await apply({ ...opportunity, status: 'won' })).toEqual(change('CONVERTED'));
    expect(await apply({ ...opportunity, status: 'lost' })).toEqual(change('LOST'));
    expect(await apply({ ...opportunity, status: 'abandoned' })).toEqual(change('LOST'));
    // the payload's dateUpdated (or body timestamp) when it names an instant; garbage is no date
    expect(await apply({ ...opportunity, status: 'won', dateUpdated: '2025-01-28T10:00:00+01:00' })).toEqual(
      change('CONVERTED', '2025-01-28T09:00:00.000Z'),
    );
    expect(await apply({ ...opportunity, status: 'won', timestamp: '2025-01-27T08:00:00Z' })).toEqual(
      change('CONVERTED', '2025-01-27T08:00:00.000Z'),
    );
    expect(await apply({ ...opportunity, status: 'won', dateUpdated: 'yesterday-ish' })).toEqual(change('CONVERTED'));
  });

  it('maps inbound messages to interactions, taking the direction from the payload', async () => {
    expect(await apply(json('InboundMessage.sms.json'))).toEqual({
      leads: [],
      interactions: [
        {
          platform: 'gohighlevel',
          externalId: 'cI08i1Bls3iTB9bKgFJh',
          channel: 'sms',
          direction: 'inbound',
          body: 'This is a test message',
          occurredAt: '2021-04-21T11:31:45.750Z',
        },
      ],
    });
    // the docs label this inbound call "OutboundMessage"; its direction field says inbound
    expect(await apply(json('InboundMessage.call-labelled-OutboundMessage-in-docs.json'))).toEqual({
      leads: [],
      interactions: [
        {
          platform: 'gohighlevel',
          externalId: 'gblakL5aYQC4glDtP1r2t3',
          channel: 'call',
          direction: 'inbound',
          body: 'Call: completed, 2 min 0 s\nRecording: call recording url',
          occurredAt: '2024-05-08T11:57:42.250Z',
          externalMessageId: 'tyW42xCD0HQpb3hhfLcx',
        },
      ],
    });
    const { direction: _d, ...outbound } = json('InboundMessage.sms.json') as Record<string, unknown>;
    const sent = await apply({ ...outbound, type: 'OutboundMessage', messageType: 'Email', messageId: 'm-1' });
    expect(sent.interactions?.[0]).toMatchObject({ channel: 'email', direction: 'outbound', externalMessageId: 'm-1' });
  });

  const record = (name: string) => json(name) as Record<string, unknown>;

  it("keeps a call's outcome, length and recording, and a voicemail's, in the interaction (GoHighLevel's examples)", async () => {
    const body = async (name: string) => (await apply(json(name))).interactions?.[0];
    // OutboundMessage.md "Example(Call and Voicemail)": answered, callDuration 120 s, a recording
    expect(await body('OutboundMessage.call.json')).toMatchObject({
      channel: 'call',
      direction: 'outbound',
      body: 'Call: completed, 2 min 0 s\nRecording: call recording url',
      externalMessageId: 'tyW42xCD0HQpb3hhfLcx',
    });
    // InboundMessage.md: an unattended inbound call that went to voicemail (status only, no duration)
    expect(await body('InboundMessage.call-to-voicemail.json')).toMatchObject({
      channel: 'call',
      direction: 'inbound',
      body: 'Call: voicemail\nRecording: voicemail url',
    });
    // OutboundMessage.md: a voicemail dropped by a workflow (messageType VoiceMail)
    expect(await body('OutboundMessage.voicemail-workflow.json')).toMatchObject({
      channel: 'voicemail',
      direction: 'outbound',
      body: 'Voicemail: completed\nVoicemail: voicemail url',
    });
    // an outbound call that reached voicemail: callStatus wins over status (OutboundMessage.md, "Call Status Details")
    const reachedVoicemail = { ...record('OutboundMessage.call.json'), callStatus: 'voicemail', callDuration: 35 };
    expect((await apply(reachedVoicemail)).interactions?.[0]?.body).toBe(
      'Call: voicemail, 35 s\nRecording: call recording url',
    );
    const bare = { type: 'OutboundMessage', contactId: 'c-1', messageType: 'CALL', attachments: [] };
    expect((await apply(bare)).interactions?.[0]?.body).toBe('Call');
  });

  it("keeps a message's attachments after its text; attachments given as { url } too, anything else skipped", async () => {
    const sms: Record<string, unknown> = {
      ...record('InboundMessage.sms.json'),
      attachments: ['https://example.test/photo.jpg', { url: 'https://example.test/doc.pdf' }, 7, null, ''],
    };
    expect((await apply(sms)).interactions?.[0]?.body).toBe(
      'This is a test message\nAttachment: https://example.test/photo.jpg\nAttachment: https://example.test/doc.pdf',
    );
    const { body: _b, ...picture } = sms;
    expect((await apply(picture)).interactions?.[0]?.body).toBe(
      'Attachment: https://example.test/photo.jpg\nAttachment: https://example.test/doc.pdf',
    );
    const nothing = { ...record('InboundMessage.sms.json'), body: '', attachments: 'oops' };
    expect((await apply(nothing)).interactions?.[0]).not.toHaveProperty('body');
  });

  it('ignores ContactDndUpdate: a lead has no do-not-disturb field to put it in', async () => {
    // marketplace.gohighlevel.com/docs/webhook/ContactDndUpdate: the contact with `dnd` and `dndSettings`
    const dnd = {
      ...(json('ContactUpdate.json') as Record<string, unknown>),
      type: 'ContactDndUpdate',
      dnd: true,
      dndSettings: { SMS: { status: 'active', message: '', code: '' }, WhatsApp: { status: 'active' } },
    };
    expect(webhook.extractEvents(dnd, delivery('{}', {}))).toEqual([]);
    const stored: StoredEvent = {
      id: '1',
      eventType: 'ContactDndUpdate',
      externalId: null,
      payload: dnd,
      receivedAt: RECEIVED_AT,
    };
    expect(await handler.processWebhook(stored, handlerContext(configured))).toEqual({
      leads: [],
      ignoredReason: 'event type ContactDndUpdate is not applied',
    });
  });

  it('ignores other event types and rejects unusable payloads permanently', async () => {
    for (const name of [
      'AppInstall.agency.json',
      'AppInstall.location-whitelabel.json',
      'AppInstall.location-non-whitelabel.json',
    ]) {
      // not extracted any more; one stored before is processed as nothing
      expect(webhook.extractEvents(json(name), delivery('{}', {}))).toEqual([]);
      const stored: StoredEvent = {
        id: '1',
        eventType: 'INSTALL',
        externalId: null,
        payload: json(name),
        receivedAt: RECEIVED_AT,
      };
      expect(await handler.processWebhook(stored, handlerContext(configured))).toEqual({
        leads: [],
        ignoredReason: 'event type INSTALL is not applied',
      });
    }
    await expect(apply({ type: 'ContactCreate', locationId: 'loc' })).rejects.toThrow(
      'ContactCreate has no contact id',
    );
    await expect(apply({ type: 'AppointmentCreate', locationId: 'loc', appointment: { id: 'a1' } })).rejects.toThrow(
      'AppointmentCreate has no appointment id or contactId',
    );
    await expect(apply({ type: 'InboundMessage', messageType: 'SMS' })).rejects.toThrow(
      'InboundMessage has no contactId',
    );
  });
});
