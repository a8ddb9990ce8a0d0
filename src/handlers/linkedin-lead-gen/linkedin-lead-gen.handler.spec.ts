import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeServer } from '../../../test/support/fake-server';
import { handlerContext } from '../../../test/support/handler-context';
import { createAjv } from '../../common/json-schema/ajv';
import { OutboundError } from '../../common/outbound/http-client';
import { IntegrationSetupError, PermanentEventError, StoredEvent, WebhookRequest } from '../integration-handler';
import { LEAD_RESPONSE_FIELDS } from './linkedin-api';
import { LinkedInLeadGenHandler } from './linkedin-lead-gen.handler';

const fixture = (name: string): Buffer => readFileSync(join(__dirname, 'fixtures', name));
const fixtureJson = (name: string): Record<string, unknown> => JSON.parse(fixture(name).toString('utf8'));
const CREATED = fixture('lead-notification.created.sponsored.UNCONFIRMED.json');
const DELETED = fixture('lead-notification.deleted.event.UNCONFIRMED.json');
const RESPONSE = fixtureJson('lead-form-response.fetch-full-lead.postman-example.json');
const FORM = fixtureJson('lead-form.written-for-spec.json');

const SECRET = 'li-client-secret-7f3a';
const TOKEN = 'AQV-li-access-token-91c2';
const CONFIG = { organizationId: '123', clientId: '78abcxyz', clientSecret: SECRET, accessToken: TOKEN };
/** The injected clock: on 2026-11-30 the default LinkedIn-Version is last month's, 202610. */
const NOW = new Date('2026-11-30T12:00:00Z');
const RESPONSE_PATH = '/rest/leadFormResponses/1a2b3c-4';
const FORM_PATH = '/rest/leadForms/7234246';

/** Computed here, independently of the handler: hex HMAC-SHA256 of "hmacsha256=" + the raw bytes. */
const sign = (raw: Buffer, secret = SECRET) =>
  createHmac('sha256', secret)
    .update(Buffer.concat([Buffer.from('hmacsha256='), raw]))
    .digest('hex');
const request = (raw: Buffer, signature?: string): WebhookRequest => ({
  rawBody: raw,
  headers: signature === undefined ? {} : { 'x-li-signature': signature },
  receivedAt: NOW,
});

describe('LinkedInLeadGenHandler', () => {
  const handler = new LinkedInLeadGenHandler();
  const webhook = handler.webhook;
  let server: FakeServer;

  beforeAll(async () => {
    server = await FakeServer.start();
  });
  afterEach(() => server.reset());
  afterAll(() => server.close());

  const ctx = (config: Record<string, unknown> = CONFIG) =>
    handlerContext(config, { linkedinApi: server.url }, { now: NOW });
  const eventFrom = (raw: Buffer): StoredEvent => {
    const [extracted] = webhook.extractEvents(JSON.parse(raw.toString('utf8')), request(raw, sign(raw)));
    return {
      id: '9',
      eventType: extracted.eventType,
      externalId: extracted.externalId,
      payload: extracted.payload,
      receivedAt: NOW,
    };
  };

  describe('metadata and config schema', () => {
    it('declares the handler contract values', () => {
      expect([handler.key, handler.displayName, handler.category]).toEqual([
        'linkedin-lead-gen',
        'LinkedIn Lead Gen Forms',
        'Social Media',
      ]);
      expect(handler.capabilities).toEqual(['webhook', 'sync', 'test']);
      expect(handler.defaultRateLimitPerMinute).toBe(100);
      expect(webhook.routing).toBe('both');
    });

    it('compiles under strict Ajv, marks the secrets, and checks the version format', () => {
      const validate = createAjv().compile(handler.defaultConfigSchema);
      expect(validate(CONFIG)).toBe(true);
      expect(validate({ ...CONFIG, apiVersion: '202601' })).toBe(true);
      expect(validate({ ...CONFIG, apiVersion: '2026-01' })).toBe(false);
      // digits, or the owner's URN as LinkedIn writes it; no other URN
      expect(validate({ ...CONFIG, organizationId: 'urn:li:organization:123' })).toBe(true);
      expect(validate({ ...CONFIG, organizationId: 'urn:li:sponsoredAccount:123' })).toBe(true);
      expect(validate({ ...CONFIG, organizationId: 'urn:li:person:123' })).toBe(false);
      expect(validate({ ...CONFIG, organizationId: 'urn:li:organization:' })).toBe(false);
      expect(validate({ ...CONFIG, unknown: true })).toBe(false);
      const { accessToken: _omitted, ...withoutToken } = CONFIG;
      expect(validate(withoutToken)).toBe(false);
      const secrets = Object.entries(handler.defaultConfigSchema.properties)
        .filter(([, p]) => p['x-secret'] === true)
        .map(([name]) => name);
      expect(secrets).toEqual(['clientSecret', 'accessToken']);
    });
  });

  describe('routing', () => {
    it('routes by the owner id digits, organization or sponsored account', () => {
      expect(webhook.routingKeys?.(JSON.parse(CREATED.toString()))).toEqual(['123']);
      expect(webhook.routingKeys?.(JSON.parse(DELETED.toString()))).toEqual(['123']);
      expect(webhook.routingKeys?.({ owner: { organization: 2414183 } })).toEqual(['2414183']);
      expect(webhook.routingKeys?.({ owner: { sponsoredAccount: '507404993' } })).toEqual(['507404993']);
      expect(
        webhook.routingKeys?.({
          owner: { organization: 'urn:li:organization:1', sponsoredAccount: 'urn:li:sponsoredAccount:2' },
        }),
      ).toEqual(['1', '2']);
      expect(webhook.routingKeys?.({ owner: { organization: 'urn:li:person:abc' } })).toEqual([]);
      expect(webhook.routingKeys?.('garbage')).toEqual([]);
    });

    it('reads the same owner union that a lead notification subscription names', () => {
      const subscription = fixture('lead-notification-subscription.request.postman-example.json')
        .toString('utf8')
        .replace('{{sponsoredaccount_id}}', '507404993');
      expect(webhook.routingKeys?.(JSON.parse(subscription))).toEqual(['507404993']);
    });

    it('answers to its organizationId and selects a notification only for its own owner', () => {
      expect(webhook.routingKeyOf?.(CONFIG)).toBe('123');
      const payload = JSON.parse(CREATED.toString());
      expect(webhook.selectForRoutingKey?.(payload, '123')).toBe(payload);
      expect(webhook.selectForRoutingKey?.(payload, '1234')).toBeUndefined();
    });
  });

  describe('processWebhook', () => {
    const DETAILS = {
      owner: 'urn:li:sponsoredAccount:1234567',
      formVersion: 'urn:li:versionedLeadGenForm:(urn:li:leadGenForm:7234246,1)',
      leadType: 'SPONSORED',
    };
    const expectedLead = {
      platform: 'linkedin',
      externalId: '1a2b3c-4',
      firstName: 'Kevin',
      lastName: 'Johonson',
      email: 'kevjohonson@email.com',
      jobTitle: 'Senior Engineer',
      country: 'Mexico',
      customAnswers: {
        'Job function': 'Ingeniería',
        'Work email': 'kjohonson@email.com',
        'Would you like a demo?': 'Yes',
      },
      isTest: true,
      submittedAt: '2023-07-20T23:09:59.288Z',
      source: {
        formId: '7234246',
        formName: 'Engineering talent webinar',
        campaignId: '198356826',
        adId: '241257736',
        isOrganic: false,
        details: DETAILS,
      },
    };

    it('fetches the response with the projection, then its form when none is embedded, with versioned headers', async () => {
      server
        .on('GET', RESPONSE_PATH, () => ({ status: 200, body: RESPONSE }))
        .on('GET', FORM_PATH, () => ({ status: 200, body: FORM }));
      const outcome = await handler.processWebhook(eventFrom(CREATED), ctx());
      expect(outcome).toEqual({ leads: [{ ...expectedLead, consents: [{ key: '0', accepted: true }] }] });
      expect(server.requests.map((r) => r.path)).toEqual([RESPONSE_PATH, FORM_PATH]);
      expect(server.requests[0].query.get('fields')).toBe(LEAD_RESPONSE_FIELDS);
      expect(server.requests[0].url).toContain('form:(hiddenFields,creationLocale,name,id,content)');
      expect(server.requests[1].url).toBe(FORM_PATH);
      for (const r of server.requests) {
        expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
        expect(r.headers['linkedin-version']).toBe('202610');
        expect(r.headers['x-restli-protocol-version']).toBe('2.0.0');
      }
    });

    it('uses the configured API version and URL-encodes the response id', async () => {
      server.on('GET', /^\/rest\/leadFormResponses\//, () => ({
        status: 200,
        body: { ...RESPONSE, 'versionedLeadGenFormUrn~': FORM },
      }));
      const event = eventFrom(CREATED);
      const payload = { ...(event.payload as Record<string, unknown>), responseId: 'a/b c' };
      const outcome = await handler.processWebhook({ ...event, payload }, ctx({ ...CONFIG, apiVersion: '202601' }));
      expect(server.requests[0].headers['linkedin-version']).toBe('202601');
      expect(server.requests[0].path).toBe('/rest/leadFormResponses/a%2Fb%20c');
      // the form came embedded: no second call, same mapping
      expect(server.requests).toHaveLength(1);
      expect(outcome.leads[0]).toEqual({
        ...expectedLead,
        externalId: 'a/b c',
        consents: [{ key: '0', accepted: true }],
      });
    });

    it('keeps answers by question id when the form cannot be read', async () => {
      server
        .on('GET', RESPONSE_PATH, () => ({ status: 200, body: RESPONSE }))
        .on('GET', FORM_PATH, () => ({ status: 403, body: { message: 'Not enough permissions' } }));
      const context = ctx();
      const outcome = await handler.processWebhook(eventFrom(CREATED), context);
      expect(outcome.leads[0]).toEqual({
        platform: 'linkedin',
        externalId: '1a2b3c-4',
        customAnswers: {
          'question 307234246': 'kevjohonson@email.com',
          'question 607234246': 'kjohonson@email.com',
          'question 707234246': '0',
          'question 807234246': 'Mexico',
          'question 107234246': 'Kevin',
          'question 207234246': 'Johonson',
          'question 407234246': 'Senior Engineer',
          'question 507234246': 'Ingeniería',
        },
        isTest: true,
        submittedAt: '2023-07-20T23:09:59.288Z',
        consents: [{ key: '0', accepted: true }],
        source: {
          formId: '7234246',
          campaignId: '198356826',
          adId: '241257736',
          isOrganic: false,
          details: DETAILS,
        },
      });
      expect(context.logger.lines).toEqual([
        expect.objectContaining({ level: 'warn', obj: expect.objectContaining({ formId: '7234246', status: 403 }) }),
      ]);
    });

    it('retries the event later when the form fetch fails transiently', async () => {
      server
        .on('GET', RESPONSE_PATH, () => ({ status: 200, body: RESPONSE }))
        .on('GET', FORM_PATH, () => ({ status: 503, body: { message: 'down' } }));
      await expect(handler.processWebhook(eventFrom(CREATED), ctx())).rejects.toMatchObject({
        name: 'OutboundError',
        kind: 'server',
        status: 503,
      });
    });

    it('fails permanently on 401 and reports it on the integration, without the token in the reason', async () => {
      server.on('GET', RESPONSE_PATH, () => ({ status: 401, body: { message: 'Invalid access token', status: 401 } }));
      const error: unknown = await handler.processWebhook(eventFrom(CREATED), ctx()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IntegrationSetupError);
      expect(error).toBeInstanceOf(PermanentEventError);
      expect((error as Error).message).toMatch(
        /^LinkedIn refused the access token reading lead form response 1a2b3c-4 \(HTTP 401\)/,
      );
      expect((error as Error).message).not.toContain(TOKEN);
      expect(server.count('GET', RESPONSE_PATH)).toBe(1);
    });

    it('fails permanently on 404', async () => {
      server.on('GET', RESPONSE_PATH, () => ({ status: 404, body: { message: 'Not Found' } }));
      await expect(handler.processWebhook(eventFrom(CREATED), ctx())).rejects.toThrow(
        new PermanentEventError(
          `LinkedIn could not return lead form response 1a2b3c-4 (HTTP 404): GET ${RESPONSE_PATH} answered 404: Not Found`,
        ),
      );
      expect(server.count('GET', RESPONSE_PATH)).toBe(1);
    });

    it('waits out a 429 Retry-After and then succeeds', async () => {
      let calls = 0;
      server
        .on('GET', RESPONSE_PATH, () =>
          ++calls === 1
            ? { status: 429, headers: { 'retry-after': '1' }, body: { message: 'Resource level throttle' } }
            : { status: 200, body: RESPONSE },
        )
        .on('GET', FORM_PATH, () => ({ status: 200, body: FORM }));
      const outcome = await handler.processWebhook(eventFrom(CREATED), ctx({ ...CONFIG }));
      expect(outcome.leads[0].email).toBe('kevjohonson@email.com');
      expect(server.count('GET', RESPONSE_PATH)).toBe(2);
    });

    it('rethrows a 500 after exhausting the retries, for the job to retry', async () => {
      server.on('GET', RESPONSE_PATH, () => ({ status: 500, body: { message: 'Internal Server Error' } }));
      const error: unknown = await handler.processWebhook(eventFrom(CREATED), ctx()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OutboundError);
      expect(error).not.toBeInstanceOf(PermanentEventError);
      expect((error as OutboundError).kind).toBe('server');
      // the test context allows 2 retries
      expect(server.count('GET', RESPONSE_PATH)).toBe(3);
    });

    it('reports a DELETED notification as a deleted lead without calling LinkedIn', async () => {
      const outcome = await handler.processWebhook(eventFrom(DELETED), ctx());
      expect(outcome).toEqual({ leads: [], deletedLeads: [{ platform: 'linkedin', externalId: '1a2b3c-4' }] });
      expect(server.requests).toHaveLength(0);
    });

    it('ignores other actions and fails permanently without a response id', async () => {
      const stored = { id: '1', eventType: 'lead.updated', externalId: null, payload: {}, receivedAt: NOW };
      await expect(handler.processWebhook(stored, ctx())).resolves.toEqual({
        leads: [],
        ignoredReason: 'unsupported LinkedIn event lead.updated',
      });
      await expect(handler.processWebhook({ ...stored, eventType: 'lead.created' }, ctx())).rejects.toThrow(
        PermanentEventError,
      );
    });
  });
});
