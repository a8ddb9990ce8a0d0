/** JSON pointers of an integration row's sealed values outside its config (AAD of each; see SecretBox). */
export const WEBHOOK_SECRET_POINTER = '/webhookSecret';
export const PREVIOUS_WEBHOOK_SECRET_POINTER = '/previousWebhookSecret';

/** Where a row's previous verification secret of one config field is sealed. */
export function previousSecretPointer(field: string): string {
  return `/previousConfigSecrets/${field.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/** Issue 15: where an integration's OAuth tokens (one sealed JSON document) are bound. */
export const OAUTH_TOKENS_POINTER = '/oauthTokens';
