import { appSecretProof } from '../shared/meta-graph';
import { asString, isRecord, optionalConfigString } from '../shared/json';
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
 */
export const metaOAuth: OAuthProvider = {
  key: 'meta',
  pkce: false,
  rotatesRefreshTokens: false,

  authorizationUrl(app, req) {
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
    const short = tokenResponse(
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
    const pageField = exchange.spec.pageIdField;
    const tokens: OAuthTokens = pageField
      ? await pageToken(call, exchange, long, pageField)
      : { accessToken: long.accessToken, userToken: long.accessToken, ...expiry(long) };
    return subject ? { ...tokens, subject } : tokens;
  },

  async revoke(call, tokens) {
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
