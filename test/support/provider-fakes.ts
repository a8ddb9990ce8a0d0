import { createHmac } from 'node:crypto';
import { FakeServer, FakeRequest } from './fake-server';

/**
 * Providers that know which resource each credential reaches, the way connection tests need them:
 * Graph's /me answers the page a page token belongs to and a WhatsApp number reads only with a token
 * of its business account; GoHighLevel reads a location only with that location's token; LinkedIn
 * lists an owner's lead forms only to a member with a role on it.
 */
export class ProviderFakes {
  private readonly pages = new Map<string, string>();
  private readonly numbers = new Map<string, Set<string>>();
  private readonly numberWabas = new Map<string, string>();
  private readonly locations = new Map<string, string>();
  private readonly organizations = new Map<string, Set<string>>();
  /** Long-lived user tokens and the pages their person administers (OAuth: page tokens are read with them). */
  private readonly pageAdmins = new Map<string, { pageIds: Set<string>; appSecret: string; person: string }>();

  private constructor(
    readonly graph: FakeServer,
    readonly ghl: FakeServer,
    readonly linkedin: FakeServer,
  ) {}

  static async start(): Promise<ProviderFakes> {
    const fakes = new ProviderFakes(await FakeServer.start(), await FakeServer.start(), await FakeServer.start());
    fakes.routes();
    return fakes;
  }

  /** The env that points the app at these fakes. */
  get env(): Record<string, string> {
    return { META_GRAPH_URL: this.graph.url, GHL_API_URL: this.ghl.url, LINKEDIN_API_URL: this.linkedin.url };
  }

  page(token: string, pageId: string): this {
    this.pages.set(token, pageId);
    return this;
  }

  /**
   * A WhatsApp number the token reaches. With `wabaId`, GET /<waba>/phone_numbers lists it under that
   * business account only; without, under whichever account the token asks about.
   */
  number(token: string, phoneNumberId: string, wabaId?: string): this {
    this.numbers.set(token, new Set([...(this.numbers.get(token) ?? []), phoneNumberId]));
    if (wabaId !== undefined) this.numberWabas.set(phoneNumberId, wabaId);
    return this;
  }

  /**
   * A user token whose person administers `pageId`; GET /<page>?fields=access_token answers a page token
   * (appsecret_proof checked), GET /me with the user token the person's app-scoped id.
   */
  pageAdmin(userToken: string, pageId: string, appSecret: string, person = 'fb-person-1'): this {
    const admin = this.pageAdmins.get(userToken) ?? { pageIds: new Set<string>(), appSecret, person };
    admin.pageIds.add(pageId);
    this.pageAdmins.set(userToken, admin);
    return this;
  }

  location(token: string, locationId: string): this {
    this.locations.set(token, locationId);
    return this;
  }

  organization(token: string, organizationId: string): this {
    this.organizations.set(token, new Set([...(this.organizations.get(token) ?? []), organizationId]));
    return this;
  }

  async close(): Promise<void> {
    await Promise.all([this.graph.close(), this.ghl.close(), this.linkedin.close()]);
  }

  /** Graph's page read with fields=access_token: the page's token for an admin's user token (never without appsecret_proof). */
  private pageToken(
    req: FakeRequest,
    pageId: string,
    graphError: (code: number, message: string) => { status: number; body: unknown },
  ): { status: number; body: unknown } {
    const userToken = req.query.get('access_token') ?? '';
    const admin = this.pageAdmins.get(userToken);
    if (!admin) return graphError(190, 'Invalid OAuth access token.');
    const proof = createHmac('sha256', admin.appSecret).update(userToken).digest('hex');
    if (req.query.get('appsecret_proof') !== proof)
      return graphError(100, 'Invalid appsecret_proof provided in the API argument');
    if (!admin.pageIds.has(pageId)) return { status: 200, body: { id: pageId } };
    const token = `EAApage-${pageId}-${userToken.slice(-6)}`;
    this.pages.set(token, pageId);
    return { status: 200, body: { id: pageId, access_token: token } };
  }

  private routes(): void {
    const bearer = (req: FakeRequest): string => String(req.headers.authorization ?? '').replace(/^Bearer /, '');
    const graphError = (code: number, message: string) => ({
      status: code === 190 ? 401 : 400,
      body: { error: { message, type: 'OAuthException', code, fbtrace_id: 'fake' } },
    });
    this.graph.on('GET', '/me', (req) => {
      // a person's user token (OAuth connect): their app-scoped user id, appsecret_proof checked
      const admin = this.pageAdmins.get(req.query.get('access_token') ?? '');
      if (admin) {
        const proof = createHmac('sha256', admin.appSecret)
          .update(req.query.get('access_token') ?? '')
          .digest('hex');
        return req.query.get('appsecret_proof') === proof
          ? { status: 200, body: { id: admin.person } }
          : graphError(100, 'Invalid appsecret_proof provided in the API argument');
      }
      const pageId = this.pages.get(bearer(req));
      return pageId
        ? { status: 200, body: { id: pageId, name: `Page ${pageId}` } }
        : graphError(190, 'Invalid OAuth access token.');
    });
    // the app's grant removed for the person (Graph API reference, User permissions: DELETE)
    this.graph.on('DELETE', '/me/permissions', () => ({ status: 200, body: { success: true } }));
    // a business account's numbers (GET /<waba>/phone_numbers), as a token that reaches them sees them
    this.graph.on('GET', /^\/\d+\/phone_numbers$/, (req) => {
      const wabaId = req.path.split('/')[1];
      const numbers = [...(this.numbers.get(bearer(req)) ?? [])].filter(
        (id) => (this.numberWabas.get(id) ?? wabaId) === wabaId,
      );
      if (numbers.length === 0)
        return graphError(
          100,
          `Unsupported get request. Object with ID '${wabaId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation`,
        );
      return {
        status: 200,
        body: { data: numbers.map((id) => ({ id })), paging: { cursors: { before: 'b', after: 'a' } } },
      };
    });
    this.graph.on('GET', /^\/\d+$/, (req) => {
      const id = req.path.slice(1);
      if (req.query.get('fields') === 'access_token') return this.pageToken(req, id, graphError);
      if (!this.numbers.get(bearer(req))?.has(id))
        return graphError(
          100,
          `Unsupported get request. Object with ID '${id}' does not exist or cannot be loaded due to missing permissions`,
        );
      return { status: 200, body: { id, display_phone_number: '+1 555-0100', verified_name: 'Fake Clinic' } };
    });
    this.ghl.on('GET', /^\/locations\/[^/]+$/, (req) => {
      const id = decodeURIComponent(req.path.split('/')[2]);
      return this.locations.get(bearer(req)) === id
        ? { status: 200, body: { location: { id, name: `Location ${id}` } } }
        : { status: 403, body: { statusCode: 403, message: 'The token does not have access to this location.' } };
    });
    // the lead-sync connection test lists an owner's lead forms; LinkedIn answers 403 without a role on it
    this.linkedin.on('GET', '/rest/leadForms', (req) => {
      const owner = /^\(organization:urn:li:organization:(\d+)\)$/.exec(req.query.get('owner') ?? '');
      return owner && this.organizations.get(bearer(req))?.has(owner[1])
        ? { status: 200, body: { elements: [], paging: { start: 0, count: 1, total: 0 } } }
        : {
            status: 403,
            body: { status: 403, serviceErrorCode: 100, message: 'Not enough permissions to access: leadForms' },
          };
    });
  }
}
