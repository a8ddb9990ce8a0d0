import { gohighlevelOAuth } from './gohighlevel.oauth';
import { googleOAuth } from './google.oauth';
import { linkedinOAuth } from './linkedin.oauth';
import { metaOAuth } from './meta.oauth';
import type { OAuthProvider, OAuthProviderKey } from './oauth-provider';

/** Every OAuth provider by key (the callback route's `:provider`). */
export const OAUTH_PROVIDER_REGISTRY: Readonly<Record<OAuthProviderKey, OAuthProvider>> = {
  meta: metaOAuth,
  linkedin: linkedinOAuth,
  google: googleOAuth,
  gohighlevel: gohighlevelOAuth,
};
