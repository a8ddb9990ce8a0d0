import { codeGrant, OAuthProvider, refreshGrant, tokenRequest, tokenResponse, withQuery } from './oauth-provider';

/**
 * LinkedIn's 3-legged flow (learn.microsoft.com/linkedin/shared/authentication/authorization-code-flow):
 * www.linkedin.com/oauth/v2/authorization (space-separated scopes), then POST
 * www.linkedin.com/oauth/v2/accessToken (form: grant_type=authorization_code, code, client_id,
 * client_secret, redirect_uri) → access_token (60 days), and for apps approved for programmatic refresh
 * tokens refresh_token + refresh_token_expires_in (a year, not extended by refreshing:
 * learn.microsoft.com/linkedin/shared/authentication/programmatic-refresh-tokens). Revocation: POST
 * oauth/v2/revoke with client_id, client_secret, token. PKCE is documented only for native apps, so a
 * web-server client does not send it.
 */
export const linkedinOAuth: OAuthProvider = {
  key: 'linkedin',
  pkce: false,
  rotatesRefreshTokens: false,

  authorizationUrl(app, req) {
    return withQuery(app.authorizeUrl, {
      response_type: 'code',
      client_id: req.clientId,
      redirect_uri: req.redirectUri,
      state: req.state,
      scope: req.scopes.join(' '),
    });
  },

  async exchangeCode(call, exchange) {
    const body = await codeGrant(call, exchange);
    return tokenResponse(body, call.now());
  },

  async refresh(call, tokens) {
    const body = await refreshGrant(call, tokens);
    const next = tokenResponse(body, call.now());
    // the refresh token keeps its original end of life; LinkedIn may or may not send it again
    return {
      ...next,
      refreshToken: next.refreshToken ?? tokens.refreshToken,
      refreshExpiresAt: next.refreshExpiresAt ?? tokens.refreshExpiresAt,
    };
  },

  async revoke(call, tokens) {
    if (!call.app.revokeUrl) return;
    await tokenRequest(call, {
      url: call.app.revokeUrl,
      form: { client_id: call.app.clientId, client_secret: call.app.clientSecret, token: tokens.accessToken },
    });
  },
};
