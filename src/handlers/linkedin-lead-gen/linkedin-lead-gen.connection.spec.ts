// LinkedIn connection test through the lead forms the lead-sync token may list, and a sunset version explained.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { installFakeLinkedIn } from '../../../test/support/fake-linkedin';
import { FakeServer } from '../../../test/support/fake-server';
import { handlerContext } from '../../../test/support/handler-context';
import { LinkedInLeadGenHandler } from './linkedin-lead-gen.handler';

const fixtureJson = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf8')) as Record<string, unknown>;
const SECRET = 'li-client-secret-7f3a';
const TOKEN = 'AQV-li-access-token-91c2';
const CONFIG = { organizationId: '123', clientId: '78abcxyz', clientSecret: SECRET, accessToken: TOKEN };
/** The injected clock: on 2026-11-30 the default LinkedIn-Version is last month's, 202610. */
const NOW = new Date('2026-11-30T12:00:00Z');

describe('LinkedInLeadGenHandler', () => {
  const handler = new LinkedInLeadGenHandler();
  let server: FakeServer;

  beforeAll(async () => {
    server = await FakeServer.start();
  });
  afterEach(() => server.reset());
  afterAll(() => server.close());

  const ctx = (config: Record<string, unknown> = CONFIG) =>
    handlerContext(config, { linkedinApi: server.url }, { now: NOW });

  describe('testConnection: an API the lead-sync token may call', () => {
    const forms = { '7234246,1': fixtureJson('lead-form.7234246.postman-example.json') };

    it("lists the ad account's lead forms (no organization lookup, which needs rw_organization_admin)", async () => {
      installFakeLinkedIn(server, { today: NOW, token: TOKEN, owners: { sponsoredAccount: ['1234567'] }, forms });
      const result = await handler.testConnection(ctx({ ...CONFIG, organizationId: '1234567' }));
      expect(result).toEqual({
        success: true,
        message: 'Connected to LinkedIn ad account 1234567: 1 lead form(s) visible',
      });
      expect(server.requests.map((r) => r.url)).toEqual([
        '/rest/leadForms?q=owner&owner=(sponsoredAccount:urn%3Ali%3AsponsoredAccount%3A1234567)&count=1',
      ]);
      expect(server.count('GET', /organizations/)).toBe(0);
    });

    it('finds an organization owner when the id is not an ad account, or uses the configured owner type', async () => {
      installFakeLinkedIn(server, { today: NOW, token: TOKEN, owners: { organization: ['123'] } });
      await expect(handler.testConnection(ctx())).resolves.toEqual({
        success: true,
        message: 'Connected to LinkedIn organization 123: 0 lead form(s) visible',
      });
      server.requests.length = 0;
      await handler.testConnection(ctx({ ...CONFIG, ownerType: 'organization' }));
      expect(server.requests).toHaveLength(1);
    });

    it('reports INVALID_CREDENTIALS when the token reaches neither owner, without a secret', async () => {
      installFakeLinkedIn(server, { today: NOW, token: TOKEN, owners: {} });
      const denied = await handler.testConnection(ctx());
      expect(denied).toMatchObject({ success: false, code: 'INVALID_CREDENTIALS' });
      expect(denied.message).toContain('HTTP 403');
      server.reset();
      server.on('GET', '/rest/leadForms', () => ({ status: 401, body: { message: `token ${TOKEN} is not valid` } }));
      const refused = await handler.testConnection(ctx());
      expect(refused).toMatchObject({ success: false, code: 'INVALID_CREDENTIALS' });
      expect(refused.message).not.toContain(TOKEN);
      expect(refused.message).not.toContain(SECRET);
    });

    it('explains a sunset version instead of blaming the credentials', async () => {
      installFakeLinkedIn(server, { today: NOW, token: TOKEN, owners: { sponsoredAccount: ['123'] } });
      const result = await handler.testConnection(ctx({ ...CONFIG, apiVersion: '202510' }));
      expect(result).toEqual({
        success: false,
        code: 'CONNECTION_FAILED',
        message:
          "LinkedIn no longer serves API version 202510 (HTTP 426 NONEXISTENT_VERSION: Requested version 202510 is not active): it is sunset (LinkedIn keeps a version about a year). Set apiVersion to 202610, or clear it to follow LinkedIn's releases.",
      });
    });

    it('reports CONNECTION_FAILED on 500 after retries and when LinkedIn is unreachable', async () => {
      server.on('GET', '/rest/leadForms', () => ({ status: 500, body: { message: `boom ${SECRET}` } }));
      const failed = await handler.testConnection(ctx());
      expect(failed).toMatchObject({ success: false, code: 'CONNECTION_FAILED' });
      expect(failed.message).toContain('answered 500');
      expect(failed.message).not.toContain(SECRET);
      const unreachable = await handler.testConnection(handlerContext(CONFIG, {}, { now: NOW }));
      expect(unreachable).toEqual({
        success: false,
        code: 'CONNECTION_FAILED',
        message: 'LinkedIn API call failed: GET /rest/leadForms: could not connect',
      });
    });
  });
});
