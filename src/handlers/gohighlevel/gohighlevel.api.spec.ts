import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeRequest, FakeServer } from '../../../test/support/fake-server';
import { handlerContext } from '../../../test/support/handler-context';
import { LeadInput } from '../handler-types';
import { GoHighLevelHandler } from './gohighlevel.handler';

const json = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf8')) as Record<string, unknown>;

const LOCATION = 've9EPM428h8vShlRW1KT';
const config = { locationId: LOCATION, privateIntegrationToken: 'pit-test-token' };
const handler = new GoHighLevelHandler();

let server: FakeServer;
const ctx = () => handlerContext(config, { ghlApi: server.url });

beforeAll(async () => {
  server = await FakeServer.start();
});
afterEach(() => server.reset());
afterAll(async () => {
  await server.close();
});

function expectAuth(req: FakeRequest, version: string): void {
  expect(req.headers.authorization).toBe('Bearer pit-test-token');
  expect(req.headers.version).toBe(version);
}

describe('GoHighLevelHandler.testConnection', () => {
  const path = `/locations/${LOCATION}`;

  it('reads the location with the contacts/locations Version header', async () => {
    server.on('GET', path, () => ({ status: 200, body: { location: { id: LOCATION, name: 'Deo Dental' } } }));
    expect(await handler.testConnection(ctx())).toEqual({ success: true, message: 'Connected to location Deo Dental' });
    expect(server.requests).toHaveLength(1);
    expectAuth(server.requests[0], '2021-07-28');
  });

  it('fails on a 200 without location.id: nothing proves the token reaches the location', async () => {
    for (const body of [{}, { location: { name: 'Somewhere' } }, { location: LOCATION }, '<html>ok</html>']) {
      server.on('GET', path, () => ({ status: 200, body }));
      expect(await handler.testConnection(ctx())).toEqual({
        success: false,
        code: 'CONNECTION_FAILED',
        message: `GET /locations/${LOCATION} answered without the expected id`,
      });
    }
  });

  it('reports 401 and 403 as invalid credentials without retrying', async () => {
    server.on('GET', path, () => ({
      status: 401,
      body: { statusCode: 401, message: 'Invalid token: access token is invalid', error: 'Unauthorized' },
    }));
    const result = await handler.testConnection(ctx());
    expect(result).toMatchObject({ success: false, code: 'INVALID_CREDENTIALS' });
    expect(result.message).toContain('Invalid token: access token is invalid');
    expect(result.message).not.toContain('pit-test-token');
    server.on('GET', path, () => ({
      status: 403,
      body: { statusCode: 403, message: 'The token does not have access to this location.' },
    }));
    expect(await handler.testConnection(ctx())).toMatchObject({ success: false, code: 'INVALID_CREDENTIALS' });
    expect(server.count('GET', path)).toBe(2);
  });

  it('waits out a 429 Retry-After, then succeeds', async () => {
    let calls = 0;
    server.on('GET', path, () =>
      ++calls === 1
        ? { status: 429, headers: { 'retry-after': '1' }, body: { message: 'Too many requests' } }
        : { status: 200, body: { location: { id: LOCATION, name: 'Deo Dental' } } },
    );
    expect(await handler.testConnection(ctx())).toEqual({ success: true, message: 'Connected to location Deo Dental' });
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1].at - server.requests[0].at).toBeGreaterThanOrEqual(950);
  });

  it('reports a persistent 500 as a connection failure after the retries', async () => {
    server.on('GET', path, () => ({ status: 500, body: { message: 'Internal server error' } }));
    const result = await handler.testConnection(ctx());
    expect(result).toEqual({
      success: false,
      code: 'CONNECTION_FAILED',
      message: `GET ${path} answered 500: Internal server error`,
    });
    expect(server.count('GET', path)).toBe(3); // the first call and the test client's 2 retries
  });

  it('reports an unreachable API as a connection failure', async () => {
    const result = await handler.testConnection(handlerContext(config, { ghlApi: 'http://127.0.0.1:9' }));
    expect(result).toEqual({ success: false, code: 'CONNECTION_FAILED', message: `GET ${path}: could not connect` });
  });
});

describe('GoHighLevelHandler.syncData', () => {
  const BASE_MS = Date.parse('2024-01-01T00:00:00.000Z');
  const template = json('api.contacts-create.response.ASSEMBLED-from-openapi-field-examples.json').contact as Record<
    string,
    unknown
  >;
  const contacts = Array.from({ length: 1200 }, (_, i) => {
    const id = `c${String(i + 1).padStart(4, '0')}`;
    const updated = BASE_MS + i * 60_000;
    return {
      ...template,
      id,
      email: `${id}@example.com`,
      dateUpdated: new Date(updated).toISOString(),
      searchAfter: [updated, id],
    };
  });

  /** The search endpoint in keyset mode: sorted by dateUpdated, resuming after `searchAfter`. */
  function keysetSearch(req: FakeRequest) {
    const body = req.body as { locationId: string; pageLimit: number; searchAfter?: [number, string]; sort: unknown };
    expect(body.locationId).toBe(LOCATION);
    expect(body.sort).toEqual([{ field: 'dateUpdated', direction: 'asc' }]);
    const after = body.searchAfter;
    const start = after
      ? contacts.findIndex((c) => c.searchAfter[0] === after[0] && c.searchAfter[1] === after[1]) + 1
      : 0;
    return { status: 200, body: { contacts: contacts.slice(start, start + body.pageLimit), total: contacts.length } };
  }

  async function runAll(
    first: string | null = null,
  ): Promise<{ pages: number[]; leads: LeadInput[]; cursors: Array<string | null> }> {
    const pages: number[] = [];
    const leads: LeadInput[] = [];
    const cursors: Array<string | null> = [];
    let cursor = first;
    do {
      const page = await handler.syncData(ctx(), cursor);
      pages.push(page.fetched);
      leads.push(...page.leads);
      cursor = page.nextCursor;
      cursors.push(cursor);
    } while (cursor !== null && pages.length < 10);
    return { pages, leads, cursors };
  }

  it('pages through 1,200 contacts with searchAfter, 500 at a time (the largest page the search allows)', async () => {
    server.on('POST', '/contacts/search', keysetSearch);
    const { pages, leads, cursors } = await runAll();
    expect(pages).toEqual([500, 500, 200]);
    expect(leads).toHaveLength(1200);
    expect(new Set(leads.map((l) => l.externalId)).size).toBe(1200);
    expect(leads[0].externalId).toBe('c0001');
    expect(leads[1199].externalId).toBe('c1200');
    const at = (i: number) => new Date(BASE_MS + i * 60_000).toISOString();
    expect(cursors).toEqual([
      JSON.stringify({ searchAfter: [BASE_MS + 499 * 60_000, 'c0500'], maxSeen: at(499) }),
      JSON.stringify({ searchAfter: [BASE_MS + 999 * 60_000, 'c1000'], maxSeen: at(999) }),
      null,
    ]);
    expect(server.requests.map((r) => (r.body as { searchAfter?: unknown }).searchAfter)).toEqual([
      undefined,
      [BASE_MS + 499 * 60_000, 'c0500'],
      [BASE_MS + 999 * 60_000, 'c1000'],
    ]);
    for (const req of server.requests) {
      expectAuth(req, '2021-07-28');
      expect((req.body as { pageLimit: number }).pageLimit).toBe(500);
      // the first run of an integration reads everything
      expect((req.body as { filters?: unknown }).filters).toBeUndefined();
    }
  });

  it('maps API contacts with the same function as ContactCreate webhooks', async () => {
    const { type: _type, ...webhookContact } = json('ContactCreate.json');
    const upserted = json('api.contacts-upsert.response.ASSEMBLED-from-openapi-field-examples.json').contact;
    server.on('POST', '/contacts/search', () => ({
      status: 200,
      body: { contacts: [webhookContact, upserted], total: 2 },
    }));
    const page = await handler.syncData(ctx(), null);
    const fromWebhook = await handler.processWebhook(
      {
        id: '1',
        eventType: 'ContactCreate',
        externalId: null,
        payload: json('ContactCreate.json'),
        receivedAt: new Date(),
      },
      ctx(),
    );
    // the same lead, but a listed contact is as of its dateUpdated (none here: its submittedAt), where a
    // ContactCreate delivery is the contact as added
    const { observedAt, ...created } = fromWebhook.leads[0];
    expect(observedAt).toBe(created.submittedAt);
    expect(page.leads[0]).toEqual(created);
    expect(page.leads[1]).toEqual({
      platform: 'gohighlevel',
      externalId: 'seD4PfOuKoVMLkEZqohJ',
      fullName: 'rubika deo',
      firstName: 'rubika',
      lastName: 'Deo',
      email: 'rubika@deos.com',
      phone: '+18832327657',
      company: 'DGS VolMAX',
      city: 'ruDolomitebika',
      region: 'AL',
      postalCode: '35061',
      country: 'US',
      tags: ['nisi sint commodo amet', 'consequat'],
      submittedAt: '2021-07-02T05:18:26.704Z',
      observedAt: '2021-07-02T05:18:26.704Z', // its dateUpdated
      // medium "survey": mediumId is the survey (multi-step form) the contact came through
      source: {
        formId: 'FglfHAn30PRwsZVyQlKp',
        gclid: 'CjOKCQjwnNyUBhCZARISAI9AYIFtNnIcWcYGIOQINz_ZoFI5SSLRRugSoPZoiEu27IZBY£1-MAIWmEaAo2VEALW_WCB',
        details: { source: 'public api', medium: 'survey', url: 'Trigger Link', referrer: 'https: //www.google.com' },
      },
    });
    expect(page).toMatchObject({ fetched: 2, nextCursor: null });
  });

  it('follows meta.nextPage when the answers carry no searchAfter', async () => {
    const plain = contacts.slice(0, 530).map(({ searchAfter: _s, ...c }) => c);
    server.on('POST', '/contacts/search', (req) => {
      const page = (req.body as { page?: number }).page ?? 1;
      const items = plain.slice((page - 1) * 500, page * 500);
      return {
        status: 200,
        body: { contacts: items, meta: { total: 530, currentPage: page, nextPage: page === 1 ? 2 : null } },
      };
    });
    const { pages, leads, cursors } = await runAll();
    expect(pages).toEqual([500, 30]);
    expect(leads.map((l) => l.externalId).slice(498, 502)).toEqual(['c0499', 'c0500', 'c0501', 'c0502']);
    expect(cursors).toEqual([
      JSON.stringify({ page: 2, maxSeen: new Date(BASE_MS + 499 * 60_000).toISOString() }),
      null,
    ]);
    expect(server.requests.map((r) => (r.body as { page?: number }).page)).toEqual([undefined, 2]);
  });

  it('stops on a full page that gives no way to continue, and rejects a foreign cursor', async () => {
    const plain = contacts.slice(0, 500).map(({ searchAfter: _s, ...c }) => c);
    server.on('POST', '/contacts/search', () => ({ status: 200, body: { contacts: plain, total: 900 } }));
    const context = ctx();
    expect(await handler.syncData(context, null)).toMatchObject({ fetched: 500, nextCursor: null });
    expect(context.logger.lines.map((l) => [l.level, l.obj])).toEqual([['warn', { total: 900 }]]);
    await expect(handler.syncData(ctx(), '{"after":"x"}')).rejects.toThrow('invalid GoHighLevel sync cursor');
    expect(server.count('POST', '/contacts/search')).toBe(1);
  });

  it('lets an auth failure propagate as OutboundError', async () => {
    server.on('POST', '/contacts/search', () => ({
      status: 401,
      body: { statusCode: 401, message: 'Invalid token: access token is invalid' },
    }));
    await expect(handler.syncData(ctx(), null)).rejects.toMatchObject({
      name: 'OutboundError',
      kind: 'auth',
      status: 401,
    });
  });
});
