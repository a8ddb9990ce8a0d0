import {
  codeGrant,
  idTokenSubject,
  OAuthProvider,
  refreshGrant,
  tokenRequest,
  tokenResponse,
  withQuery,
} from './oauth-provider';

/**
 * Google's web-server flow (developers.google.com/identity/protocols/oauth2/web-server):
 * accounts.google.com/o/oauth2/v2/auth with access_type=offline (a refresh token) and prompt=consent
 * (Google answers a refresh token only on a consent), PKCE S256 (code_challenge,
 * code_challenge_method); POST oauth2.googleapis.com/token (form: code, client_id, client_secret,
 * redirect_uri, grant_type=authorization_code, code_verifier); refresh with grant_type=refresh_token
 * (the answer normally has no new refresh token: the stored one stays); a revoked or expired refresh
 * token answers 400 `invalid_grant`. Revocation: POST oauth2.googleapis.com/revoke, form token=….
 * The `openid` scope is added so that the token response carries an id_token whose `sub` names the
 * person (developers.google.com/identity/openid-connect/openid-connect#obtainuserinfo): a revocation
 * ends the person's whole grant to the app, so a disconnect must know whether another integration
 * still uses it.
 */
export const googleOAuth: OAuthProvider = {
  key: 'google',
  pkce: true,
  rotatesRefreshTokens: false,

  authorizationUrl(app, req) {
    return withQuery(app.authorizeUrl, {
      client_id: req.clientId,
      redirect_uri: req.redirectUri,
      response_type: 'code',
      scope: [...new Set([...req.scopes, 'openid'])].join(' '),
      state: req.state,
      access_type: 'offline',
      prompt: 'consent',
      include_granted_scopes: 'true',
      code_challenge: req.codeChallenge,
      code_challenge_method: req.codeChallenge ? 'S256' : undefined,
    });
  },

  async exchangeCode(call, exchange) {
    const body = await codeGrant(call, exchange, exchange.codeVerifier ? { code_verifier: exchange.codeVerifier } : {});
    const subject = idTokenSubject(body);
    return { ...tokenResponse(body, call.now()), ...(subject ? { subject } : {}) };
  },

  async refresh(call, tokens) {
    const body = await refreshGrant(call, tokens);
    const next = tokenResponse(body, call.now());
    return { ...next, refreshToken: next.refreshToken ?? tokens.refreshToken };
  },

  async revoke(call, tokens) {
    if (!call.app.revokeUrl) return;
    await tokenRequest(call, { url: call.app.revokeUrl, form: { token: tokens.refreshToken ?? tokens.accessToken } });
  },
};
