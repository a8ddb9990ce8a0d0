// What the OpenAPI contract (openapi.json, the CRM's generated client) requires of every route.

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Operations whose success answer declares no schema (`METHOD path (status)`): every route declares
 * its response DTO, except a 204 or a redirect-only route (3xx), which have no body.
 */
export function undeclaredResponses(document: unknown): string[] {
  const paths = isObject(document) && isObject(document.paths) ? document.paths : {};
  const missing: string[] = [];
  for (const [path, operations] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(isObject(operations) ? operations : {})) {
      const responses = isObject(operation) && isObject(operation.responses) ? operation.responses : {};
      const success = Object.entries(responses).filter(([status]) => /^2\d\d$/.test(status));
      // a redirect (the OAuth callback's 302) has no body to declare
      const redirects = Object.keys(responses).some((status) => /^3\d\d$/.test(status));
      if (success.length === 0 && !redirects) missing.push(`${method.toUpperCase()} ${path} (no 2xx)`);
      for (const [status, response] of success) {
        if (status === '204') continue;
        const content = isObject(response) && isObject(response.content) ? Object.values(response.content) : [];
        if (content.length === 0 || !content.every((media) => isObject(media) && isObject(media.schema)))
          missing.push(`${method.toUpperCase()} ${path} (${status})`);
      }
    }
  }
  return missing;
}
