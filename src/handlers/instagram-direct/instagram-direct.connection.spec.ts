// Instagram Direct against a fake Graph API: the page token must reach the configured Instagram account.
import { FakeServer } from '../../../test/support/fake-server';
import { handlerContext } from '../../../test/support/handler-context';
import { InstagramDirectHandler } from './instagram-direct.handler';

const IGID = '17841405822304914';
const PAGE = '134895793791914';
const IGSID = '1092310252982105';
const TOKEN = 'EAAG-ig-page-token-77aa';
const config = { instagramAccountId: IGID, pageId: PAGE, accessToken: TOKEN, appSecret: 'ig-secret', verifyToken: 'v' };
const handler = new InstagramDirectHandler();

describe('InstagramDirectHandler against a fake Graph API', () => {
  let server: FakeServer;
  const ctx = () => handlerContext(config, { metaGraph: server.url });

  beforeAll(async () => {
    server = await FakeServer.start();
  });
  afterEach(() => server.reset());
  afterAll(async () => {
    await server.close();
  });

  it('passes when the token is the page’s and the page’s Instagram account is the configured one', async () => {
    server.on('GET', '/me', () => ({
      status: 200,
      body: { id: PAGE, name: 'Acme', instagram_business_account: { id: IGID, username: 'acme.dental' } },
    }));
    await expect(handler.testConnection(ctx())).resolves.toEqual({
      success: true,
      message: 'Connected to Instagram account @acme.dental',
    });
    expect(server.requests[0].query.get('fields')).toBe('id,name,instagram_business_account{id,username}');
    expect(server.requests[0].headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('refuses another page’s token, a page with another Instagram account, or none', async () => {
    const answers: Array<[unknown, string]> = [
      [{ id: '555', name: 'Other' }, `The access token is not a token of page ${PAGE} (it belongs to 555)`],
      [
        { id: PAGE, instagram_business_account: { id: '178' } },
        `Page ${PAGE} is connected to Instagram account 178, not ${IGID}`,
      ],
      [{ id: PAGE }, `Page ${PAGE} has no Instagram professional account connected`],
    ];
    for (const [body, message] of answers) {
      server.reset();
      server.on('GET', '/me', () => ({ status: 200, body }));
      await expect(handler.testConnection(ctx())).resolves.toEqual({
        success: false,
        code: 'INVALID_CREDENTIALS',
        message,
      });
    }
    server.reset();
    server.on('GET', '/me', () => ({ status: 401, body: { error: { message: `bad token ${TOKEN}`, code: 190 } } }));
    await expect(handler.testConnection(ctx())).resolves.toEqual({
      success: false,
      code: 'INVALID_CREDENTIALS',
      message: 'Meta refused the page access token: bad token [redacted]',
    });
  });

  it('sends through the connected page to the IGSID, with the human agent tag when asked', async () => {
    server.on('POST', `/${PAGE}/messages`, () => ({
      status: 200,
      body: { recipient_id: IGSID, message_id: 'aWdfZAG1f' },
    }));
    await expect(handler.sendText(ctx(), IGSID, 'Hello', { tag: 'HUMAN_AGENT' })).resolves.toEqual({
      messageId: 'aWdfZAG1f',
    });
    expect(server.requests[0].body).toEqual({
      recipient: { id: IGSID },
      messaging_type: 'MESSAGE_TAG',
      tag: 'HUMAN_AGENT',
      message: { text: 'Hello' },
    });
    // 1000 bytes: a 400-character message of 3-byte characters is too long
    await expect(handler.sendText(ctx(), IGSID, '€'.repeat(400))).rejects.toMatchObject({ failure: 'invalid' });
  });

  it('fetches the name and username of an Instagram user', async () => {
    server.on('GET', `/${IGSID}`, () => ({ status: 200, body: { name: 'Ana Lima', username: 'ana.lima', id: IGSID } }));
    await expect(handler.fetchContactProfile(ctx(), IGSID)).resolves.toEqual({
      name: 'Ana Lima',
      username: 'ana.lima',
    });
  });
});
