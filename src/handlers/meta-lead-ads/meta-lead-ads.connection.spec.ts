// Meta Lead Ads connection test: the page read with its token, refusals classified without leaking it.
import { FakeServer } from '../../../test/support/fake-server';
import { handlerContext } from '../../../test/support/handler-context';
import { MetaLeadAdsHandler } from './meta-lead-ads.handler';

const TOKEN = 'EAAGpage-token-3c9f';
const config = {
  pageId: '153125381133',
  appSecret: 'app-secret-1',
  pageAccessToken: TOKEN,
  verifyToken: 'meatyhamhock',
};
const NOW = new Date('2026-03-10T12:00:00Z');
const handler = new MetaLeadAdsHandler();
const graphError = (code: number, message: string) => ({
  error: { message, type: 'OAuthException', code, fbtrace_id: 'AbC' },
});

describe('MetaLeadAdsHandler connection test against a fake Graph API', () => {
  let server: FakeServer;
  const ctx = () => handlerContext(config, { metaGraph: server.url }, { now: NOW });

  beforeAll(async () => {
    server = await FakeServer.start();
  });
  afterEach(() => server.reset());
  afterAll(async () => {
    await server.close();
  });

  describe('testConnection', () => {
    it("reads the page token's own page (/me) and checks it is the configured one", async () => {
      server.on('GET', '/me', () => ({ status: 200, body: { id: '153125381133', name: 'Acme Dental' } }));
      await expect(handler.testConnection(ctx())).resolves.toEqual({
        success: true,
        message: 'Connected to page Acme Dental',
      });
      expect(server.requests[0].query.get('fields')).toBe('id,name');
      expect(server.requests[0].headers.authorization).toBe(`Bearer ${TOKEN}`);

      // a valid token of another page is not a token of this one
      server.on('GET', '/me', () => ({ status: 200, body: { id: '999', name: 'Someone Else' } }));
      await expect(handler.testConnection(ctx())).resolves.toMatchObject({
        success: false,
        code: 'INVALID_CREDENTIALS',
      });
    });

    it('reports INVALID_CREDENTIALS for 401 and for code 190 in a 400, without the token in the message', async () => {
      server.on('GET', '/me', () => ({
        status: 401,
        body: graphError(190, `Invalid OAuth access token ${TOKEN}`),
      }));
      const unauthorized = await handler.testConnection(ctx());
      expect(unauthorized).toEqual({
        success: false,
        code: 'INVALID_CREDENTIALS',
        message: 'Meta refused the page access token: Invalid OAuth access token [redacted]',
      });

      server.reset();
      server.on('GET', '/me', () => ({
        status: 400,
        body: graphError(190, 'Error validating access token: Session has expired'),
      }));
      const expired = await handler.testConnection(ctx());
      expect(expired).toMatchObject({ success: false, code: 'INVALID_CREDENTIALS' });
      expect(expired.message).toContain('Session has expired');
    });

    it('reports CONNECTION_FAILED for other errors and for an unreachable API', async () => {
      server.on('GET', '/me', () => ({ status: 400, body: graphError(100, '(#100) Object does not exist') }));
      await expect(handler.testConnection(ctx())).resolves.toEqual({
        success: false,
        code: 'CONNECTION_FAILED',
        message: 'Could not read the page from the Graph API: (#100) Object does not exist',
      });

      server.reset();
      server.on('GET', '/me', () => ({ status: 503, body: 'maintenance' }));
      await expect(handler.testConnection(ctx())).resolves.toMatchObject({ success: false, code: 'CONNECTION_FAILED' });

      const offline = await handler.testConnection(handlerContext(config, {}, { now: NOW }));
      expect(offline).toEqual({
        success: false,
        code: 'CONNECTION_FAILED',
        message: 'Could not read the page from the Graph API: GET /me: could not connect',
      });
    });
  });
});
