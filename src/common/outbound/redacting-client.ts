import { OutboundError, OutboundHttpClient } from './http-client';
import { bodyWithout, withoutValues } from './outbound-http.client';

/**
 * A handler's client that keeps every secret of its integration out of the errors it throws. The
 * client itself redacts what a call carried (its query, credential headers and form); a provider may
 * still echo a secret the call did not carry (a client secret, a refresh token, a webhook key), and
 * error messages end up in answers, `errorMessage`, sync runs and logs. Values shorter than 8
 * characters are left alone (ids and flags, not secrets), as for the carried ones.
 */
export function redactingSecrets(client: OutboundHttpClient, secrets: readonly string[]): OutboundHttpClient {
  const values = [...new Set(secrets)].filter((v) => v.length >= 8);
  if (values.length === 0) return client;
  return {
    request: async (req) => {
      try {
        return await client.request(req);
      } catch (err) {
        if (!(err instanceof OutboundError)) throw err;
        throw new OutboundError(
          err.kind,
          withoutValues(err.message, values),
          err.status,
          bodyWithout(err.body, values),
          err.retryAfterMs,
          err.headers,
        );
      }
    },
    rateLimit: () => client.rateLimit(),
  };
}
