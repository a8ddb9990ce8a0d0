// Facebook Messenger against a fake Graph API: the connection test proves the page, sends follow the window rules.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeServer } from '../../../test/support/fake-server';
import { handlerContext } from '../../../test/support/handler-context';
import { MessagingSendError } from '../shared/meta-messaging-send';
import { FacebookMessengerHandler } from './facebook-messenger.handler';

const fixture = (name: string): unknown => JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf8'));
const TOKEN = 'EAAG-messenger-page-token-9d2c';
const PAGE = '104620412345678';
const PSID = '6543210987654321';
const config = { pageId: PAGE, pageAccessToken: TOKEN, appSecret: 'app-secret-1', verifyToken: 'verify-me' };
const handler = new FacebookMessengerHandler();
const graphError = (code: number, message: string, subcode?: number) => ({
  error: { message, type: 'OAuthException', code, ...(subcode ? { error_subcode: subcode } : {}), fbtrace_id: 'AbC' },
});

describe('FacebookMessengerHandler against a fake Graph API', () => {
  let server: FakeServer;
  const ctx = () => handlerContext(config, { metaGraph: server.url });

  beforeAll(async () => {
    server = await FakeServer.start();
  });
  afterEach(() => server.reset());
  afterAll(async () => {
    await server.close();
  });

  it("passes only when the token is the configured page's own (/me), with appsecret_proof", async () => {
    server.on('GET', '/me', () => ({ status: 200, body: { id: PAGE, name: 'Acme Dental' } }));
    await expect(handler.testConnection(ctx())).resolves.toEqual({
      success: true,
      message: 'Connected to the Messenger inbox of page Acme Dental',
    });
    expect(server.requests[0].headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(server.requests[0].query.get('appsecret_proof')).toMatch(/^[0-9a-f]{64}$/);

    server.on('GET', '/me', () => ({ status: 200, body: { id: '999', name: 'Someone Else' } }));
    await expect(handler.testConnection(ctx())).resolves.toEqual({
      success: false,
      code: 'INVALID_CREDENTIALS',
      message: `The page access token is not a token of page ${PAGE} (it belongs to 999)`,
    });
  });

  it('reports a refused token as INVALID_CREDENTIALS without the token, other failures as CONNECTION_FAILED', async () => {
    server.on('GET', '/me', () => ({ status: 400, body: graphError(190, `Invalid OAuth access token ${TOKEN}`) }));
    await expect(handler.testConnection(ctx())).resolves.toEqual({
      success: false,
      code: 'INVALID_CREDENTIALS',
      message: 'Meta refused the page access token: Invalid OAuth access token [redacted]',
    });
    server.on('GET', '/me', () => ({ status: 400, body: graphError(100, '(#100) Unsupported get request') }));
    await expect(handler.testConnection(ctx())).resolves.toMatchObject({ success: false, code: 'CONNECTION_FAILED' });
  });

  it('sends RESPONSE inside the window and MESSAGE_TAG HUMAN_AGENT when asked, once each', async () => {
    server.on('POST', `/${PAGE}/messages`, () => ({ status: 200, body: fixture('send-text.response.json') }));
    await expect(handler.sendText(ctx(), PSID, 'Hi Ana')).resolves.toEqual({
      messageId: 'AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P',
    });
    await handler.sendText(ctx(), PSID, 'Following up', { tag: 'HUMAN_AGENT' });
    expect(server.requests.map((r) => r.body)).toEqual([
      { recipient: { id: PSID }, messaging_type: 'RESPONSE', message: { text: 'Hi Ana' } },
      { recipient: { id: PSID }, messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT', message: { text: 'Following up' } },
    ]);
    await expect(handler.sendText(ctx(), PSID, '')).rejects.toMatchObject({ failure: 'invalid' });
    await expect(handler.sendText(ctx(), PSID, 'x'.repeat(2001))).rejects.toMatchObject({ failure: 'invalid' });
    expect(server.requests).toHaveLength(2);
  });

  it('classifies refused sends by code: window, unavailable person, permissions, throttling, token', async () => {
    const cases: Array<[unknown, string, boolean]> = [
      [graphError(10, 'This message is sent outside of allowed window.', 2018278), 'window_closed', false],
      [graphError(551, "This person isn't available right now.", 1545041), 'user_unavailable', false],
      [graphError(200, 'Requires pages_messaging permission'), 'permissions', false],
      [graphError(613, 'Calls to this api have exceeded the rate limit.'), 'rate_limited', true],
      [graphError(190, 'Invalid OAuth access token.'), 'auth', false],
      [graphError(1200, 'Temporary send message failure. Please try again later'), 'temporary', true],
    ];
    for (const [body, failure, retryable] of cases) {
      server.reset();
      server.on('POST', `/${PAGE}/messages`, () => ({ status: 400, body }));
      const err: unknown = await handler.sendText(ctx(), PSID, 'Hi').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MessagingSendError);
      expect(err).toMatchObject({ failure, retryable });
      // never retried by the client: a repeated send could reach the person twice
      expect(server.requests).toHaveLength(1);
    }
  });

  it("fetches the person's name from the User Profile API", async () => {
    server.on('GET', `/${PSID}`, () => ({ status: 200, body: { first_name: 'Ana', last_name: 'Lima', id: PSID } }));
    await expect(handler.fetchContactProfile(ctx(), PSID)).resolves.toEqual({
      name: 'Ana Lima',
      firstName: 'Ana',
      lastName: 'Lima',
    });
    expect(server.requests[0].query.get('fields')).toBe('first_name,last_name,name');
  });
});
