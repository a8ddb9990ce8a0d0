// Connecting integrations through the OAuth flow as the CRM drives it: start, the provider's consent
// (a fake), the callback, and the redirect back with status=active.
import { createIntegration } from './factories';
import type { FakeOAuthServer } from './fakes/oauth-server';
import type { TestApp } from './test-app';

/** A GoHighLevel integration of `subAccountId` for `locationId`, connected through `ghlAuth`; its id. */
export async function connectGhlOAuth(
  t: TestApp,
  ghlAuth: FakeOAuthServer,
  subAccountId: number,
  redirectUri: string,
  locationId: string,
): Promise<number> {
  const { id } = await createIntegration(t, subAccountId, 'gohighlevel', { locationId });
  const start = await t.http
    .post(`/api/integrations/${id}/oauth/start`)
    .set('authorization', `Bearer ${t.token('ADMIN', [subAccountId])}`)
    .send({ redirectUri });
  const back = await t.http.get(ghlAuth.consent(start.body.authorizationUrl, { locationId }).path);
  expect(new URL(back.headers.location).searchParams.get('status')).toBe('active');
  return id;
}
