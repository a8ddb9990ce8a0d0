import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeServer } from '../../../test/support/fake-server';
import { handlerContext } from '../../../test/support/handler-context';
import { OutboundError } from '../../common/outbound/http-client';
import { appSecretProof } from '../shared/meta-graph';
import { PermanentEventError, StoredEvent } from '../integration-handler';
import { WhatsAppCloudHandler, WhatsAppTemplateComponent } from './whatsapp-cloud.handler';
import { WhatsAppSendError } from './whatsapp-send-error';

const TOKEN = 'EAAG-wa-token-51e0';
const WABA = '102290129340398';
const config = {
  phoneNumberId: '106540352242922',
  wabaId: WABA,
  accessToken: TOKEN,
  appSecret: 'wa-secret',
  verifyToken: 'wa-verify-1',
};
const handler = new WhatsAppCloudHandler();
const MESSAGES = '/106540352242922/messages';
const text = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'utf8');
const json = (name: string): Record<string, unknown> => JSON.parse(text(name)) as Record<string, unknown>;

function extracted(name: string): StoredEvent {
  const [event] = handler.webhook.extractEvents(json(name), {
    rawBody: Buffer.alloc(0),
    headers: {},
    receivedAt: new Date(),
  });
  return {
    id: 'evt-1',
    eventType: event.eventType,
    externalId: event.externalId,
    payload: JSON.parse(JSON.stringify(event.payload)),
    receivedAt: new Date(),
  };
}

const waError = (code: number, message: string, details?: string) => ({
  error: {
    message,
    type: 'OAuthException',
    code,
    ...(details ? { error_data: { messaging_product: 'whatsapp', details } } : {}),
    fbtrace_id: 'Az8',
  },
});

describe('WhatsAppCloudHandler', () => {
  let server: FakeServer;
  const ctx = (options: { timeoutMs?: number } = {}) => handlerContext(config, { metaGraph: server.url }, options);

  beforeAll(async () => {
    server = await FakeServer.start();
  });
  afterEach(() => server.reset());
  afterAll(async () => {
    await server.close();
  });

  describe('processWebhook', () => {
    it('turns an inbound message into a lead keyed by wa_id and an inbound interaction', async () => {
      await expect(handler.processWebhook(extracted('inbound-text-message.json'), ctx())).resolves.toEqual({
        leads: [
          {
            platform: 'whatsapp',
            externalId: '16505551234',
            fullName: 'Sheena Nelson',
            phone: '+16505551234',
            source: {},
          },
        ],
        interactions: [
          {
            platform: 'whatsapp',
            externalId: '16505551234',
            channel: 'whatsapp',
            direction: 'inbound',
            body: 'Does it come in another color?',
            occurredAt: '2025-06-08T20:59:43.000Z',
            externalMessageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
          },
        ],
      });
      expect(server.requests).toHaveLength(0);
    });

    it('attributes a click-to-WhatsApp conversation to its ad', async () => {
      const event: StoredEvent = {
        ...extracted('inbound-text-message-business-button.json'),
        payload: {
          phoneNumberId: '106540352242922',
          from: '351912345678',
          id: 'wamid.R1',
          timestamp: '1750000002',
          type: 'text',
          text: 'Hi',
          referral: { sourceId: '120226305854810726', sourceType: 'ad' },
        },
      };
      const outcome = await handler.processWebhook(event, ctx());
      expect(outcome.leads).toEqual([
        {
          platform: 'whatsapp',
          externalId: '351912345678',
          phone: '+351912345678',
          source: {
            adId: '120226305854810726',
            details: { referralSourceId: '120226305854810726', referralSourceType: 'ad' },
          },
        },
      ]);
    });

    it('records statuses without applying anything yet', async () => {
      await expect(handler.processWebhook(extracted('status-delivered.json'), ctx())).resolves.toEqual({
        leads: [],
        ignoredReason: 'status delivered recorded',
      });
      await expect(handler.processWebhook(extracted('status-sent-marketing.json'), ctx())).resolves.toEqual({
        leads: [],
        ignoredReason: 'status sent recorded',
      });
      await expect(handler.processWebhook(extracted('status-failed-131049.json'), ctx())).resolves.toEqual({
        leads: [],
        ignoredReason: 'status failed recorded',
      });
    });

    it('rejects a message event without a sender as permanent', async () => {
      const event = { ...extracted('inbound-text-message.json'), payload: { id: 'wamid.x', phoneNumberId: '1' } };
      await expect(handler.processWebhook(event, ctx())).rejects.toThrow(PermanentEventError);
    });
  });

  describe('testConnection', () => {
    const path = '/106540352242922';

    it('reads the phone number with the token in the header and appsecret_proof beside it', async () => {
      server.on('GET', path, () => ({
        status: 200,
        body: { id: '106540352242922', display_phone_number: '+1 555-078-3881', verified_name: 'Acme Clinic' },
      }));
      server.on('GET', `/${WABA}/phone_numbers`, () => ({
        status: 200,
        body: { data: [{ id: '106540352242922' }], paging: { cursors: { before: 'b', after: 'a' } } },
      }));
      await expect(handler.testConnection(ctx())).resolves.toEqual({
        success: true,
        message: 'Connected to WhatsApp number +1 555-078-3881 (Acme Clinic)',
      });
      // the number is looked up among its WABA's numbers, with the same credentials
      expect(server.requests[1].path).toBe(`/${WABA}/phone_numbers`);
      expect(server.requests[1].headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(server.requests[1].query.get('appsecret_proof')).toBe(appSecretProof(TOKEN, 'wa-secret'));
      expect(server.requests[0].query.get('fields')).toBe('id,display_phone_number,verified_name');
      expect(server.requests[0].headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(server.requests[0].query.has('access_token')).toBe(false);
      expect(server.requests[0].query.get('appsecret_proof')).toBe(appSecretProof(TOKEN, 'wa-secret'));
    });

    it('maps 401 and code 190 to INVALID_CREDENTIALS and hides the token', async () => {
      server.on('GET', path, () => ({ status: 401, body: waError(190, `Malformed access token ${TOKEN}`) }));
      await expect(handler.testConnection(ctx())).resolves.toEqual({
        success: false,
        code: 'INVALID_CREDENTIALS',
        message: 'Meta refused the WhatsApp access token: Malformed access token [redacted]',
      });
      server.reset();
      server.on('GET', path, () => ({
        status: 400,
        body: waError(190, 'Error validating access token: Session has expired'),
      }));
      await expect(handler.testConnection(ctx())).resolves.toMatchObject({
        success: false,
        code: 'INVALID_CREDENTIALS',
      });
    });

    it('maps code 102 (session key invalid) to INVALID_CREDENTIALS, as the other Meta handlers do', async () => {
      server.on('GET', path, () => ({ status: 400, body: waError(102, 'Session key invalid or no longer valid') }));
      await expect(handler.testConnection(ctx())).resolves.toEqual({
        success: false,
        code: 'INVALID_CREDENTIALS',
        message: 'Meta refused the WhatsApp access token: Session key invalid or no longer valid',
      });
    });

    it('maps other failures to CONNECTION_FAILED after the retries', async () => {
      server.on('GET', path, () => ({ status: 500, body: waError(131000, 'Something went wrong') }));
      await expect(handler.testConnection(ctx())).resolves.toEqual({
        success: false,
        code: 'CONNECTION_FAILED',
        message: 'Could not read the WhatsApp phone number from the Graph API: Something went wrong',
      });
      expect(server.count('GET', path)).toBe(3);
    });
  });

  describe('unsubscribeApp', () => {
    const path = '/102290129340398/subscribed_apps';

    it("DELETEs the WABA's subscribed_apps with the token in the header and appsecret_proof beside it", async () => {
      server.on('DELETE', path, () => ({ status: 200, body: { success: true } }));
      await expect(handler.unsubscribeApp(ctx())).resolves.toBe(true);
      expect(server.requests).toHaveLength(1);
      const [req] = server.requests;
      expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(req.query.get('appsecret_proof')).toBe(appSecretProof(TOKEN, 'wa-secret'));
      expect(req.url).not.toContain(TOKEN);
    });

    it('asks once and throws when Meta refuses, fails or does not confirm', async () => {
      for (const reply of [
        { status: 400, body: waError(200, '(#200) Permissions error') },
        { status: 500, body: waError(1, 'An unknown error occurred') },
        { status: 200, body: { success: false } },
      ]) {
        server.reset();
        server.on('DELETE', path, () => reply);
        await expect(handler.unsubscribeApp(ctx())).rejects.toBeInstanceOf(OutboundError);
        expect(server.count('DELETE', path)).toBe(1);
      }
    });

    it('calls nobody when the config holds no token (an OAuth integration never connected)', async () => {
      const { accessToken: _none, ...withoutToken } = config;
      const noToken = handlerContext(withoutToken, { metaGraph: server.url });
      await expect(handler.unsubscribeApp(noToken)).resolves.toBe(false);
      expect(server.requests).toHaveLength(0);
    });
  });

  describe('sendText', () => {
    it('posts the documented text body once and returns the wamid', async () => {
      server.on('POST', MESSAGES, () => ({ status: 200, body: json('send-message.response.sdk-test.json') }));
      await expect(handler.sendText(ctx(), '16505076520', 'Your visit is confirmed')).resolves.toEqual({
        messageId: 'wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA',
        waId: '16505076520',
      });

      const [req] = server.requests;
      expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
      // apps with "Require App Secret" refuse sends without it
      expect(req.query.get('appsecret_proof')).toBe(appSecretProof(TOKEN, 'wa-secret'));
      expect(req.headers['content-type']).toBe('application/json');
      expect(req.body).toEqual({
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: '16505076520',
        type: 'text',
        text: { preview_url: false, body: 'Your visit is confirmed' },
      });
      // same shape as the documented request syntax
      const syntax = text('send-text.request-syntax.txt');
      const documented = JSON.parse(
        syntax.slice(syntax.indexOf("-d '") + 4, syntax.lastIndexOf("'")).replace('<ENABLE_LINK_PREVIEW>', 'false'),
      ) as Record<string, unknown>;
      expect(Object.keys(req.body as object).sort()).toEqual(Object.keys(documented).sort());
      expect(Object.keys((req.body as { text: object }).text).sort()).toEqual(
        Object.keys(documented.text as object).sort(),
      );
    });

    it('threads a reply and asks for a link preview when the body has a URL', async () => {
      server.on('POST', MESSAGES, () => ({ status: 200, body: json('send-message.response.sdk-test.json') }));
      await handler.sendText(ctx(), '+16505076520', 'Details: https://example.com/offer', 'wamid.ORIGINAL');
      expect(server.requests[0].body).toMatchObject({
        to: '+16505076520',
        text: { preview_url: true, body: 'Details: https://example.com/offer' },
        context: { message_id: 'wamid.ORIGINAL' },
      });
    });

    it('refuses an empty or over-long body without calling WhatsApp', async () => {
      await expect(handler.sendText(ctx(), '1', '')).rejects.toBeInstanceOf(WhatsAppSendError);
      await expect(handler.sendText(ctx(), '1', 'x'.repeat(4097))).rejects.toMatchObject({
        retryable: false,
        code: undefined,
      });
      expect(server.requests).toHaveLength(0);
    });
  });

  describe('sendTemplate', () => {
    it.each(['send-template.template-object.sdk-example.json', 'send-template.newsletter.sdk-example.json'])(
      'sends the template object of %s',
      async (name) => {
        const template = json(name) as {
          name: string;
          language: { code: string };
          components: WhatsAppTemplateComponent[];
        };
        server.on('POST', MESSAGES, () => ({ status: 200, body: json('send-message.response.sdk-test.json') }));
        const result = await handler.sendTemplate(
          ctx(),
          '16505076520',
          template.name,
          template.language.code,
          template.components,
        );
        expect(result.messageId).toBe('wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA');
        expect(server.requests[0].body).toEqual({
          messaging_product: 'whatsapp',
          recipient_type: 'individual',
          to: '16505076520',
          type: 'template',
          template,
        });
      },
    );
  });

  describe('send errors (never retried in-process: a send must not be duplicated)', () => {
    const rateLimit = json('error-response-130429.json');

    it.each([400, 429])(
      'maps the 130429 fixture answered with HTTP %i to a retryable WhatsAppSendError',
      async (status) => {
        server.on('POST', MESSAGES, () => ({ status, headers: { 'retry-after': '0' }, body: rateLimit }));
        const error = await handler.sendText(ctx(), '16505551234', 'hello').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WhatsAppSendError);
        expect(error).toMatchObject({
          code: 130429,
          retryable: true,
          transient: true,
          status,
          details: 'Cloud API message throughput has been reached.',
        });
        expect((error as Error).message).toBe(
          'WhatsApp send failed (code 130429): (#130429) Rate limit hit (Cloud API message throughput has been reached.)',
        );
        expect(server.count('POST', MESSAGES)).toBe(1);
      },
    );

    it.each([
      [400, 131047, '(#131047) Re-engagement message', false],
      [400, 131026, 'Message undeliverable', false],
      [400, 132001, 'Template name does not exist in the translation', false],
      [400, 131050, 'User has opted out of marketing messages', false],
      [400, 131056, '(#131056) (Business Account, Consumer Account) pair rate limit hit', true],
      [503, 131057, '(#131057) Account in maintenance mode', true],
      [500, 131000, 'Something went wrong', true],
    ])('HTTP %i with code %i is retryable: %s → %s', async (status, code, message, retryable) => {
      server.on('POST', MESSAGES, () => ({ status, body: waError(code, message) }));
      const error = await handler
        .sendTemplate(ctx(), '16505551234', 'appointment_reminder', 'en_US', [])
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'WhatsAppSendError', code, retryable });
      expect(server.count('POST', MESSAGES)).toBe(1);
    });

    it('does not retry an auth failure, and treats a timeout as not retryable (the message may have gone out)', async () => {
      server.on('POST', MESSAGES, () => ({ status: 401, body: waError(190, 'Invalid OAuth access token.') }));
      await expect(handler.sendText(ctx(), '1', 'hi')).rejects.toMatchObject({
        kind: 'auth',
        code: 190,
        retryable: false,
      });
      expect(server.count('POST', MESSAGES)).toBe(1);
      // a stub client: under jest, the shared client sees fetch's DOMException TimeoutError from
      // another realm (not instanceof Error) and reports 'network', so the timeout is injected here
      const timedOut = {
        ...ctx(),
        http: {
          request: () => Promise.reject(new OutboundError('timeout', 'POST /106540352242922/messages: timed out')),
          rateLimit: () => ({ remaining: null, resetAt: null }),
        },
      };
      await expect(handler.sendText(timedOut, '1', 'hi')).rejects.toMatchObject({
        name: 'WhatsAppSendError',
        kind: 'timeout',
        retryable: false,
        transient: false,
      });
    });

    it('sends a slow request only once', async () => {
      server.on('POST', MESSAGES, () => ({
        status: 200,
        delayMs: 400,
        body: json('send-message.response.sdk-test.json'),
      }));
      await expect(handler.sendText(ctx({ timeoutMs: 100 }), '1', 'hi')).rejects.toBeInstanceOf(WhatsAppSendError);
      expect(server.count('POST', MESSAGES)).toBe(1);
    });

    it('marks an unreachable API as retryable (nothing was sent)', async () => {
      const offline = handlerContext(config);
      await expect(handler.sendText(offline, '1', 'hi')).rejects.toMatchObject({
        kind: 'network',
        retryable: true,
        code: undefined,
      });
    });
  });
});
