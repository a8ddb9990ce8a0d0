import { generateKeyPairSync, KeyObject, verify } from 'node:crypto';
import { createAjv } from '../../common/json-schema/ajv';
import { FakeRequest, FakeServer } from '../../../test/support/fake-server';
import { handlerContext } from '../../../test/support/handler-context';
import { GoogleAnalyticsHandler } from './google-analytics.handler';

const handler = new GoogleAnalyticsHandler();
const NOW = new Date('2026-03-01T12:00:00.000Z');
const NOW_S = NOW.getTime() / 1000;
const PROPERTY = '123456789';
const EMAIL = 'hub-reader@demo-project.iam.gserviceaccount.com';
const METADATA = `/v1beta/properties/${PROPERTY}/metadata`;

const registered = generateKeyPairSync('rsa', { modulusLength: 2048 });
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privatePem = (key: KeyObject): string => key.export({ type: 'pkcs8', format: 'pem' }).toString();

let server: FakeServer;

function serviceAccountJson(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    type: 'service_account',
    project_id: 'demo-project',
    private_key_id: 'kid-1',
    private_key: privatePem(registered.privateKey),
    client_email: EMAIL,
    client_id: '1234567890',
    token_uri: `${server.url}/token`,
    ...overrides,
  });
}
const ctx = (serviceAccountKey = serviceAccountJson()) =>
  handlerContext({ propertyId: PROPERTY, serviceAccountKey }, { googleAnalyticsApi: server.url }, { now: NOW });

const decode = (part: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

/** The grant as Google's token endpoint reads it: a form, so a JSON body is an invalid request there. */
function tokenForm(req: FakeRequest): URLSearchParams | undefined {
  const type = String(req.headers['content-type'] ?? '')
    .split(';')[0]
    .trim();
  return type === 'application/x-www-form-urlencoded' ? new URLSearchParams(req.rawBody) : undefined;
}

/** Google's token endpoint as far as this flow needs it: checks the encoding, the assertion's RS256 signature and claims. */
function tokenEndpoint(req: FakeRequest) {
  const form = tokenForm(req);
  if (!form) return { status: 400, body: { error: 'invalid_request', error_description: 'Invalid content type.' } };
  const [header, claims, signature] = (form.get('assertion') ?? '').split('.');
  const signed = verify(
    'RSA-SHA256',
    Buffer.from(`${header}.${claims}`),
    registered.publicKey,
    Buffer.from(signature ?? '', 'base64url'),
  );
  if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer' || !signed) {
    return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } };
  }
  return { status: 200, body: { access_token: 'ya29.fake-access-token', expires_in: 3599, token_type: 'Bearer' } };
}

function metadataEndpoint(req: FakeRequest) {
  if (req.headers.authorization !== 'Bearer ya29.fake-access-token') {
    return {
      status: 401,
      body: {
        error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' },
      },
    };
  }
  return {
    status: 200,
    body: {
      name: `properties/${PROPERTY}/metadata`,
      dimensions: [{ apiName: 'city' }],
      metrics: [{ apiName: 'activeUsers' }],
    },
  };
}

beforeAll(async () => {
  server = await FakeServer.start();
});
beforeEach(() => {
  server.on('POST', '/token', tokenEndpoint).on('GET', METADATA, metadataEndpoint);
});
afterEach(() => server.reset());
afterAll(async () => {
  await server.close();
});

describe('GoogleAnalyticsHandler: description and config', () => {
  it('describes itself as an analytics handler that tests and syncs', () => {
    expect(handler.key).toBe('google-analytics');
    expect(handler.displayName).toBe('Google Analytics 4');
    expect(handler.category).toBe('Analytics');
    expect(handler.capabilities).toEqual(['sync', 'test']);
    expect(handler.defaultRateLimitPerMinute).toBe(60);
  });

  it('has a config schema that compiles under strict Ajv, with a numeric property id and a secret key', () => {
    const validate = createAjv().compile(handler.defaultConfigSchema);
    expect(validate({ propertyId: PROPERTY, serviceAccountKey: '{}' })).toBe(true);
    expect(validate({ propertyId: 'G-ABC123', serviceAccountKey: '{}' })).toBe(false);
    expect(validate({ propertyId: PROPERTY })).toBe(false);
    expect(validate({ propertyId: PROPERTY, serviceAccountKey: '{}', extra: true })).toBe(false);
    const secrets = Object.entries(handler.defaultConfigSchema.properties)
      .filter(([, p]) => p['x-secret'] === true)
      .map(([k]) => k);
    expect(secrets).toEqual(['serviceAccountKey', 'accessToken']);
    // issue 15: "Connect with Google" fills accessToken instead of a pasted key
    const oauthFilled = Object.entries(handler.defaultConfigSchema.properties)
      .filter(([, p]) => p['x-oauth'] === true)
      .map(([k]) => k);
    expect(oauthFilled).toEqual(['serviceAccountKey', 'accessToken']);
  });

  it('flags a serviceAccountKey that is not a service account key', () => {
    expect(handler.validateConfig({ propertyId: PROPERTY, serviceAccountKey: serviceAccountJson() })).toEqual([]);
    expect(handler.validateConfig({ propertyId: PROPERTY, serviceAccountKey: '{"client_email":"x"}' })).toEqual([
      { pointer: '/serviceAccountKey', message: 'serviceAccountKey is not a service account JSON key' },
    ]);
  });
});

describe('GoogleAnalyticsHandler.testConnection', () => {
  it('exchanges an RS256 service-account JWT for a token and reads the property metadata', async () => {
    expect(await handler.testConnection(ctx())).toEqual({
      success: true,
      message: `Connected to GA4 property ${PROPERTY} as ${EMAIL}`,
    });
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /token', `GET ${METADATA}`]);
    const token = server.requests[0];
    expect(token.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(token.rawBody);
    expect([...form.keys()]).toEqual(['grant_type', 'assertion']);
    expect(form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    expect(token.rawBody).toContain('grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=');
    const [header, claims] = (form.get('assertion') ?? '').split('.');
    expect(decode(header)).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'kid-1' });
    expect(decode(claims)).toEqual({
      iss: EMAIL,
      scope: 'https://www.googleapis.com/auth/analytics.readonly',
      aud: `${server.url}/token`,
      iat: NOW_S,
      exp: NOW_S + 3600,
    });
    expect(server.requests[1].headers.authorization).toBe('Bearer ya29.fake-access-token');
  });

  it('reports a key the token endpoint does not recognise (invalid_grant) as invalid credentials', async () => {
    const result = await handler.testConnection(
      ctx(serviceAccountJson({ private_key: privatePem(stranger.privateKey) })),
    );
    expect(result).toMatchObject({ success: false, code: 'INVALID_CREDENTIALS' });
    expect(result.message).toContain('invalid_grant');
    expect(result.message).not.toContain('PRIVATE KEY');
    expect(server.count('POST', '/token')).toBe(1); // a 400 is not retried
    expect(server.count('GET', METADATA)).toBe(0);
  });

  it.each([
    ['text that is not JSON', 'not json'],
    [
      'JSON without private_key',
      JSON.stringify({ client_email: EMAIL, token_uri: 'https://oauth2.googleapis.com/token' }),
    ],
    [
      'a private_key that is not a PEM key',
      JSON.stringify({ client_email: EMAIL, private_key: 'abc', token_uri: 'https://oauth2.googleapis.com/token' }),
    ],
    [
      'an Ed25519 key',
      JSON.stringify({
        client_email: EMAIL,
        private_key: privatePem(generateKeyPairSync('ed25519').privateKey),
        token_uri: 'https://x.test',
      }),
    ],
  ])('refuses %s without calling Google', async (_label, key) => {
    expect(await handler.testConnection(ctx(key))).toEqual({
      success: false,
      code: 'INVALID_CREDENTIALS',
      message: 'serviceAccountKey is not a service account JSON key',
    });
    expect(server.requests).toHaveLength(0);
  });

  it('never posts the assertion to a token_uri outside Google (or the configured API origin)', async () => {
    const result = await handler.testConnection(ctx(serviceAccountJson({ token_uri: 'http://169.254.169.254/token' })));
    expect(result).toEqual({
      success: false,
      code: 'INVALID_CREDENTIALS',
      message: "serviceAccountKey's token_uri is not a Google token endpoint",
    });
    expect(server.requests).toHaveLength(0);
  });

  it('reports invalid_client (401) from the token endpoint as invalid credentials', async () => {
    server.on('POST', '/token', () => ({
      status: 401,
      body: { error: 'invalid_client', error_description: 'The OAuth client was not found.' },
    }));
    expect(await handler.testConnection(ctx())).toMatchObject({ success: false, code: 'INVALID_CREDENTIALS' });
  });

  it('reports a property the service account may not read (403) as invalid credentials', async () => {
    server.on('GET', METADATA, () => ({
      status: 403,
      body: {
        error: {
          code: 403,
          message: 'User does not have sufficient permissions for this property.',
          status: 'PERMISSION_DENIED',
        },
      },
    }));
    expect(await handler.testConnection(ctx())).toEqual({
      success: false,
      code: 'INVALID_CREDENTIALS',
      message: `${EMAIL} cannot read GA4 property ${PROPERTY}: GET ${METADATA} answered 403: User does not have sufficient permissions for this property.`,
    });
    expect(server.count('GET', METADATA)).toBe(1);
  });

  it('reports server errors as connection failures after the retries', async () => {
    server.on('GET', METADATA, () => ({
      status: 503,
      body: { error: { code: 503, message: 'The service is currently unavailable.' } },
    }));
    expect(await handler.testConnection(ctx())).toMatchObject({ success: false, code: 'CONNECTION_FAILED' });
    expect(server.count('GET', METADATA)).toBe(3);

    server.reset();
    server.on('POST', '/token', () => ({ status: 500, body: { error: 'internal_failure' } }));
    expect(await handler.testConnection(ctx())).toMatchObject({ success: false, code: 'CONNECTION_FAILED' });
    expect(server.count('POST', '/token')).toBe(3);
  });

  it('reports a token answer without access_token as a connection failure', async () => {
    server.on('POST', '/token', () => ({ status: 200, body: { token_type: 'Bearer' } }));
    expect(await handler.testConnection(ctx())).toEqual({
      success: false,
      code: 'CONNECTION_FAILED',
      message: 'The token request for the service account failed: POST /token answered without an access_token',
    });
    expect(server.count('GET', METADATA)).toBe(0);
  });
});
