import { asString, isRecord, optionalConfigString } from '../shared/json';
import {
  codeGrant,
  OAuthExchangeError,
  OAuthProvider,
  OAuthTokens,
  refreshGrant,
  tokenResponse,
  withQuery,
} from './oauth-provider';

/**
 * GoHighLevel Marketplace apps (marketplace.gohighlevel.com/docs/Authorization/OAuth2.0; the official
 * SDK @gohighlevel/api-client lib/code/oauth): the location chooser at
 * marketplace.gohighlevel.com/oauth/chooselocation (response_type=code, client_id, redirect_uri,
 * space-separated scope), then POST services.leadconnectorhq.com/oauth/token as a form with
 * client_id, client_secret, grant_type, code | refresh_token, user_type=Location, redirect_uri. The
 * answer carries access_token, expires_in (about a day), refresh_token, userType, locationId,
 * companyId. A refresh token is single-use: each refresh answers a new one and the old one is dead, so
 * two concurrent refreshes lose the connection (hence the lock in the refresher). No revocation
 * endpoint is documented (an app is uninstalled from the location), and no PKCE.
 */
export const gohighlevelOAuth: OAuthProvider = {
  key: 'gohighlevel',
  pkce: false,
  rotatesRefreshTokens: true,

  authorizationUrl(app, req) {
    return withQuery(app.authorizeUrl, {
      response_type: 'code',
      client_id: req.clientId,
      redirect_uri: req.redirectUri,
      scope: req.scopes.join(' '),
      state: req.state,
    });
  },

  async exchangeCode(call, exchange) {
    const body = await codeGrant(call, exchange, { user_type: 'Location' });
    const tokens = withLocation(body, tokenResponse(body, call.now()));
    const field = exchange.spec.locationIdField;
    const expected = field ? optionalConfigString(exchange.config, field) : undefined;
    // a token of another location must never serve this integration's routing key
    if (expected && tokens.locationId !== expected)
      throw new OAuthExchangeError(
        'The app was installed on another location than the integration is configured for',
        'INVALID_CREDENTIALS',
      );
    return tokens;
  },

  async refresh(call, tokens) {
    const body = await refreshGrant(call, tokens, { user_type: 'Location' });
    return withLocation(body, tokenResponse(body, call.now()), tokens.locationId);
  },
};

function withLocation(body: unknown, tokens: OAuthTokens, fallback?: string): OAuthTokens {
  const locationId = (isRecord(body) ? asString(body.locationId) : undefined) ?? fallback;
  return locationId ? { ...tokens, locationId } : tokens;
}
