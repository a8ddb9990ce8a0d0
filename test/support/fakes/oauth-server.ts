// A fake authorisation server on 127.0.0.1 that behaves like the providers' real ones (RFC 6749 errors, single-use codes, PKCE, rotating refresh tokens).
import { createHash, randomBytes } from 'node:crypto';
import { FakeReply, FakeRequest, FakeServer } from '../fake-server';

export type FakeOAuthFlavour = 'meta' | 'linkedin' | 'google' | 'gohighlevel';

interface IssuedCode {
  redirectUri: string;
  challenge?: string;
  used: boolean;
  locationId?: string;
  openid?: boolean;
  person?: string;
  /** Meta: the Facebook Login for Business configuration the dialog was opened with. */
  configId?: string;
}

interface Grant {
  alive: boolean;
  locationId?: string;
}

export interface FakeOAuthOptions {
  flavour: FakeOAuthFlavour;
  clientId: string;
  clientSecret: string;
  /** Seconds an access token lives (expires_in). */
  accessTtl?: number;
  /** Whether a refresh kills the refresh token it used and answers a new one (GoHighLevel). */
  rotate?: boolean;
  /** Delay of every token endpoint answer (lets concurrent refreshes overlap). */
  tokenDelayMs?: number;
  /** Called with each access token issued (to tell the API fakes what it reaches). */
  onToken?: (accessToken: string, grant: { locationId?: string }) => void;
}

/**
 * Endpoints: GET /authorize is never fetched (the test plays the browser with `consent`), POST /token
 * (form), POST /revoke, and for Meta GET /oauth/access_token (code, then fb_exchange_token; a code from
 * a dialog opened with a Facebook Login for Business config_id answers the business token at once). Refusals
 * are what the real servers answer: 400 `{ error: "invalid_grant" }` for a spent, unknown or
 * mismatched code or refresh token, 401 `invalid_client` for a wrong secret; Meta's are Graph errors.
 */
export class FakeOAuthServer {
  readonly revoked: string[] = [];
  private readonly codes = new Map<string, IssuedCode>();
  private readonly refreshTokens = new Map<string, Grant>();
  private readonly shortTokens = new Set<string>();
  private seq = 0;
  /** Makes every later refresh answer invalid_grant (the person revoked the app). */
  revokeAll = false;
  /** Google: the `sub` of the person who consents next (in the id_token of an exchange with the openid scope). */
  person = 'google-person-1';
  private held?: { arrive: () => void; released: Promise<void> };

  private constructor(
    readonly server: FakeServer,
    private readonly options: FakeOAuthOptions,
  ) {}

  static async start(options: FakeOAuthOptions): Promise<FakeOAuthServer> {
    const fake = new FakeOAuthServer(await FakeServer.start(), options);
    fake.routes();
    return fake;
  }

  get url(): string {
    return this.server.url;
  }

  /** Token endpoint calls so far (refreshes and code exchanges). */
  tokenCalls(grantType?: string): number {
    return this.server.requests.filter(
      (r) =>
        (r.path === '/token' || r.path === '/oauth/access_token') &&
        (grantType === undefined || new URLSearchParams(r.rawBody).get('grant_type') === grantType),
    ).length;
  }

  /**
   * The person consents on the provider's page: checks what a real consent page checks (client id,
   * response_type) and answers the redirect back to the hub's callback with a fresh code.
   */
  consent(authorizationUrl: string, extra: { locationId?: string } = {}): { path: string; code: string } {
    const url = new URL(authorizationUrl);
    if (url.searchParams.get('client_id') !== this.options.clientId) throw new Error('consent: wrong client_id');
    if (url.searchParams.get('response_type') !== 'code') throw new Error('consent: response_type is not code');
    const redirectUri = url.searchParams.get('redirect_uri');
    const state = url.searchParams.get('state');
    if (!redirectUri || !state) throw new Error('consent: redirect_uri and state are required');
    const code = `code-${this.options.flavour}-${++this.seq}-${randomBytes(4).toString('hex')}`;
    this.codes.set(code, {
      redirectUri,
      openid: (url.searchParams.get('scope') ?? '').split(' ').includes('openid'),
      person: this.person,
      challenge: url.searchParams.get('code_challenge') ?? undefined,
      used: false,
      locationId: extra.locationId,
      configId: url.searchParams.get('config_id') ?? undefined,
    });
    const back = new URL(redirectUri);
    back.searchParams.set('code', code);
    back.searchParams.set('state', state);
    return { path: back.pathname + back.search, code };
  }

  /** A grant as if connected earlier: its refresh token (for refresh tests without a connect flow). */
  grant(locationId?: string): string {
    const refreshToken = `rt-${this.options.flavour}-${++this.seq}`;
    this.refreshTokens.set(refreshToken, { alive: true, locationId });
    return refreshToken;
  }

  /**
   * Holds the next refresh_token request at the token endpoint: `arrived` resolves once it is there,
   * and it is answered (as it would have been at that moment) only after `release()`. Lets a test
   * land another write while a refresh is in flight.
   */
  holdNextRefresh(): { arrived: Promise<void>; release: () => void } {
    let arrive = (): void => undefined;
    let release = (): void => undefined;
    const arrived = new Promise<void>((resolve) => (arrive = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.held = { arrive, released };
    return { arrived, release };
  }

  async close(): Promise<void> {
    await this.server.close();
  }

  private routes(): void {
    this.server.on('POST', '/token', async (req) => {
      const form = new URLSearchParams(req.rawBody);
      const held = form.get('grant_type') === 'refresh_token' ? this.held : undefined;
      if (held) {
        this.held = undefined;
        held.arrive();
        await held.released;
      }
      return { ...this.token(form), delayMs: this.options.tokenDelayMs };
    });
    this.server.on('POST', '/revoke', (req) => {
      const token = new URLSearchParams(req.rawBody).get('token') ?? '';
      this.revoked.push(token);
      return { status: 200, body: {} };
    });
    this.server.on('GET', '/oauth/access_token', (req) => this.metaToken(req));
  }

  private token(form: URLSearchParams): FakeReply {
    if (form.get('client_id') !== this.options.clientId || form.get('client_secret') !== this.options.clientSecret)
      return { status: 401, body: { error: 'invalid_client', error_description: 'Client authentication failed' } };
    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') {
      const code = this.codes.get(form.get('code') ?? '');
      if (!code || code.used || code.redirectUri !== form.get('redirect_uri')) return invalidGrant();
      if (code.challenge !== undefined) {
        const verifier = form.get('code_verifier') ?? '';
        if (createHash('sha256').update(verifier).digest('base64url') !== code.challenge) return invalidGrant();
      }
      code.used = true;
      const body = this.issue(code.locationId, true);
      // OpenID Connect: the token response carries an id_token naming the person (sub) when openid was granted
      if (this.options.flavour === 'google' && code.openid)
        body.id_token = idToken(code.person ?? '', this.options.clientId);
      return { status: 200, body };
    }
    if (grantType === 'refresh_token') {
      const token = form.get('refresh_token') ?? '';
      const grant = this.refreshTokens.get(token);
      if (!grant?.alive || this.revokeAll) return invalidGrant();
      if (this.options.rotate) grant.alive = false;
      return { status: 200, body: this.issue(grant.locationId, this.options.rotate === true) };
    }
    return { status: 400, body: { error: 'unsupported_grant_type' } };
  }

  private issue(locationId: string | undefined, withRefresh: boolean): Record<string, unknown> {
    const accessToken = `at-${this.options.flavour}-${++this.seq}`;
    this.options.onToken?.(accessToken, { locationId });
    const body: Record<string, unknown> = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: this.options.accessTtl ?? 3600,
      scope: 'granted',
    };
    if (withRefresh) {
      const refreshToken = `rt-${this.options.flavour}-${++this.seq}`;
      this.refreshTokens.set(refreshToken, { alive: true, locationId });
      body.refresh_token = refreshToken;
    }
    if (this.options.flavour === 'gohighlevel')
      Object.assign(body, { userType: 'Location', locationId, companyId: 'company-1', userId: 'user-1' });
    return body;
  }

  /** Graph's GET oauth/access_token: a code for a short-lived user token, or fb_exchange_token for a long-lived one. */
  private metaToken(req: FakeRequest): FakeReply {
    const q = req.query;
    if (q.get('client_id') !== this.options.clientId || q.get('client_secret') !== this.options.clientSecret)
      return graphError(101, 'Error validating application. Invalid application ID.');
    if (q.get('grant_type') === 'fb_exchange_token') {
      const short = q.get('fb_exchange_token') ?? '';
      if (!this.shortTokens.delete(short))
        return graphError(190, 'Invalid OAuth access token - Cannot parse access token');
      const long = `EAAlong-${++this.seq}`;
      this.options.onToken?.(long, {});
      return { status: 200, body: { access_token: long, token_type: 'bearer', expires_in: 5183944 } };
    }
    const code = this.codes.get(q.get('code') ?? '');
    if (!code || code.used || code.redirectUri !== q.get('redirect_uri'))
      return graphError(100, 'This authorization code has been used.');
    code.used = true;
    if (code.configId) {
      // Facebook Login for Business with a system-user configuration: the business's token at once,
      // without expires_in; it is no short-lived user token, so fb_exchange_token refuses it
      const business = `EAAsystem-${++this.seq}`;
      this.options.onToken?.(business, {});
      return { status: 200, body: { access_token: business, token_type: 'bearer' } };
    }
    const short = `EAAshort-${++this.seq}`;
    this.shortTokens.add(short);
    return { status: 200, body: { access_token: short, token_type: 'bearer', expires_in: 5400 } };
  }
}

/** An id_token as Google's token endpoint answers it (the signature is not checked by a client that got it from there). */
function idToken(sub: string, audience: string): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ iss: 'https://accounts.google.com', aud: audience, sub })}.fake-signature`;
}

function invalidGrant(): FakeReply {
  return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid grant' } };
}

function graphError(code: number, message: string): FakeReply {
  return { status: 400, body: { error: { message, type: 'OAuthException', code, fbtrace_id: 'fake' } } };
}
