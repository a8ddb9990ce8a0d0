import { OutboundError } from '../../common/outbound/http-client';
import { appSecretProof, graphErrorOf } from '../shared/meta-graph';
import { asBoolean, asString, isRecord, optionalConfigString } from '../shared/json';
import {
  CodeExchange,
  OAuthCall,
  OAuthExchangeError,
  OAuthProvider,
  OAuthTokens,
  tokenRequest,
  tokenResponse,
  withQuery,
} from './oauth-provider';

/**
 * Facebook Login's manual flow (developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow):
 * the dialog at www.facebook.com/<version>/dialog/oauth, then GET <graph>/oauth/access_token with the
 * code (a short-lived user token), then `grant_type=fb_exchange_token` for a long-lived (~60 days) user
 * token (developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived), and for Lead
 * Ads the page's token read with it: GET /<page id>?fields=access_token (a page token derived from a
 * long-lived user token has no expiry; same page). Every Graph call after the code exchange carries
 * appsecret_proof. Meta has no refresh grant and documents no PKCE for the web flow, so neither is used.
 *
 * With a Facebook Login for Business configuration (`configId`; developers.facebook.com/docs/
 * facebook-login/facebook-login-for-business: a configuration sets the token type, assets and
 * permissions, and replaces scopes) whose token type is the business integration system user token,
 * the code is exchanged once and the answer is that token (WhatsApp Embedded Signup, "Onboarding
 * business customers as a Tech Provider", step 1: GET /oauth/access_token with client_id,
 * client_secret and code; developers.facebook.com/documentation/business-messaging/whatsapp/
 * embedded-signup/onboarding-customers-as-a-tech-provider). It belongs to the business, not to the
 * person who clicked, so it is never put through fb_exchange_token (that grant turns a short-lived
 * *user* token into a long-lived one).
 */
export const metaOAuth: OAuthProvider = {
  key: 'meta',
  pkce: false,
  rotatesRefreshTokens: false,

  authorizationUrl(app, req) {
    if (req.configId)
      return withQuery(app.authorizeUrl, {
        client_id: req.clientId,
        redirect_uri: req.redirectUri,
        state: req.state,
        // the configuration decides permissions, assets and token type: no scope. Meta's Embedded
        // Signup launch code gives FB.login config_id, response_type 'code' ("must be set to 'code' for
        // System User access token") and override_default_response_type true (the response_type given
        // takes precedence over the default) (…/whatsapp/embedded-signup/implementation). That the
        // redirect dialog reads the same names as query parameters is UNCONFIRMED: the pages found
        // document the JS SDK's options, and third-party redirect flows pass config_id this way.
        config_id: req.configId,
        response_type: 'code',
        override_default_response_type: 'true',
      });
    return withQuery(app.authorizeUrl, {
      client_id: req.clientId,
      redirect_uri: req.redirectUri,
      state: req.state,
      response_type: 'code',
      // Facebook Login takes a comma-separated scope list
      scope: req.scopes.join(','),
    });
  },

  async exchangeCode(call, exchange) {
    if (exchange.configId) return businessToken(call, exchange);
    const short = await codeExchange(call, exchange);
    const long = tokenResponse(
      await tokenRequest(call, {
        method: 'GET',
        url: call.app.tokenUrl,
        query: {
          grant_type: 'fb_exchange_token',
          client_id: call.app.clientId,
          client_secret: call.app.clientSecret,
          fb_exchange_token: short.accessToken,
        },
      }),
      call.now(),
    );
    const subject = await person(call, long.accessToken);
    // WhatsApp connected with a person's token (no Login for Business configuration): the app is
    // subscribed to the WABA's webhooks all the same, with that token's whatsapp_business_management
    await subscribeConfiguredWaba(call, exchange, long.accessToken);
    const pageField = exchange.spec.pageIdField;
    const tokens: OAuthTokens = pageField
      ? await pageToken(call, exchange, long, pageField)
      : { accessToken: long.accessToken, userToken: long.accessToken, ...expiry(long) };
    return subject ? { ...tokens, subject } : tokens;
  },

  async revoke(call, tokens) {
    // A business integration system user token has no person's grant behind it: Facebook Login for
    // Business says such tokens are invalidated by the business removing the app (Business Settings >
    // Integrations > Connected Apps), and documents DELETE /me/permissions for user tokens only, so it is
    // not called for one (the disconnect still erases the token here)
    if (tokens.systemUser) return;
    // DELETE /me/permissions with the user token removes the app's grant (Graph API reference, User permissions)
    const userToken = tokens.userToken ?? tokens.accessToken;
    await call.http.request({
      method: 'DELETE',
      url: `${call.apiBaseUrl}/me/permissions`,
      query: { access_token: userToken, appsecret_proof: appSecretProof(userToken, call.app.clientSecret) },
      retry: false,
    });
  },
};

/** GET <token url>?client_id&client_secret&redirect_uri&code: the code exchanged for the token it was issued for. */
async function codeExchange(call: OAuthCall, exchange: CodeExchange): Promise<OAuthTokens> {
  return tokenResponse(
    await tokenRequest(call, {
      method: 'GET',
      url: call.app.tokenUrl,
      query: {
        client_id: call.app.clientId,
        client_secret: call.app.clientSecret,
        redirect_uri: exchange.redirectUri,
        code: exchange.code,
      },
    }),
    call.now(),
  );
}

/**
 * The code of a Facebook Login for Business dialog opened with a configuration: exchanged once (with
 * the redirect_uri, as in every manual-flow exchange; the Embedded Signup JS SDK flow sends none
 * because it has no redirect) for the business integration system user token, which is stored as it
 * is: no fb_exchange_token, no expiry unless Meta answers one (a configuration may choose a 60-day
 * token), nothing to refresh. Then, where the handler names its WhatsApp Business Account, the hub's
 * app is subscribed to that account's webhooks, which Meta delivers only to apps subscribed to it.
 */
async function businessToken(call: OAuthCall, exchange: CodeExchange): Promise<OAuthTokens> {
  const business = await codeExchange(call, exchange);
  // a system user may or may not answer /me; without an id the grant is named by the token itself
  const subject = await person(call, business.accessToken);
  await subscribeConfiguredWaba(call, exchange, business.accessToken);
  return {
    accessToken: business.accessToken,
    systemUser: true,
    ...expiry(business),
    ...(subject ? { subject } : {}),
  };
}

/** Subscribes the app to the WhatsApp Business Account the handler's config names, if it names one. */
async function subscribeConfiguredWaba(call: OAuthCall, exchange: CodeExchange, token: string): Promise<void> {
  const wabaField = exchange.spec.businessLogin?.subscribeWabaField;
  const wabaId = wabaField ? optionalConfigString(exchange.config, wabaField) : undefined;
  if (wabaId) await subscribeApp(call, wabaId, token);
}

/**
 * POST /<WABA id>/subscribed_apps with the business (or a person's) token: "You must individually subscribe to every
 * WABA for which you wish to receive webhooks", answered `{ "success": true }` (developers.facebook.com/
 * documentation/business-messaging/whatsapp/solution-providers/manage-webhooks). Subscribing again is
 * harmless. A refusal (the token cannot manage that account) or no answer fails the connection with
 * its own message; Graph's error text is not echoed.
 */
async function subscribeApp(call: OAuthCall, wabaId: string, token: string): Promise<void> {
  const what = `the hub's Meta app to the webhooks of WhatsApp Business Account ${wabaId}`;
  let body: unknown;
  try {
    const res = await call.http.request({
      method: 'POST',
      url: `${call.apiBaseUrl}/${encodeURIComponent(wabaId)}/subscribed_apps`,
      query: { appsecret_proof: appSecretProof(token, call.app.clientSecret) },
      headers: { authorization: `Bearer ${token}` },
    });
    body = res.body;
  } catch (err) {
    if (!(err instanceof OutboundError)) throw err;
    const code = graphErrorOf(err.body)?.code;
    if (err.kind === 'auth' || err.kind === 'client')
      throw new OAuthExchangeError(
        `Meta refused to subscribe ${what} (HTTP ${err.status ?? '?'}${code !== undefined ? `, code ${code}` : ''}): the connected business must share that account with the app`,
        'INVALID_CREDENTIALS',
      );
    throw new OAuthExchangeError(`Could not subscribe ${what} (${err.kind})`, 'CONNECTION_FAILED');
  }
  if (!isRecord(body) || asBoolean(body.success) !== true)
    throw new OAuthExchangeError(`Meta did not confirm subscribing ${what}`, 'CONNECTION_FAILED');
}

/**
 * GET /me?fields=id with the user token: the person's app-scoped user id, which names the grant that
 * DELETE /me/permissions would remove. Best effort: without it the grant is named by its user token.
 */
async function person(call: OAuthCall, userToken: string): Promise<string | undefined> {
  try {
    const res = await call.http.request({
      method: 'GET',
      url: `${call.apiBaseUrl}/me`,
      query: {
        fields: 'id',
        access_token: userToken,
        appsecret_proof: appSecretProof(userToken, call.app.clientSecret),
      },
      retry: false,
    });
    return isRecord(res.body) ? asString(res.body.id) : undefined;
  } catch {
    return undefined;
  }
}

function expiry(tokens: OAuthTokens): Pick<OAuthTokens, 'expiresAt'> {
  return tokens.expiresAt ? { expiresAt: tokens.expiresAt } : {};
}

async function pageToken(
  call: OAuthCall,
  exchange: CodeExchange,
  user: OAuthTokens,
  pageField: string,
): Promise<OAuthTokens> {
  const pageId = optionalConfigString(exchange.config, pageField);
  if (!pageId) throw new OAuthExchangeError(`The integration has no ${pageField} to connect`, 'INVALID_CREDENTIALS');
  const body = await tokenRequest(call, {
    method: 'GET',
    url: `${call.apiBaseUrl}/${encodeURIComponent(pageId)}`,
    query: {
      fields: 'access_token',
      access_token: user.accessToken,
      appsecret_proof: appSecretProof(user.accessToken, call.app.clientSecret),
    },
  });
  const token = isRecord(body) ? asString(body.access_token) : undefined;
  if (!token)
    throw new OAuthExchangeError(
      'The person who connected has no access to the configured page (no page token)',
      'INVALID_CREDENTIALS',
    );
  // a page token derived from a long-lived user token does not expire; the user token is kept to revoke
  return { accessToken: token, userToken: user.accessToken };
}
