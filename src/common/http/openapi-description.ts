import { ERROR_STATUS } from '../errors/error-code';

/**
 * The OpenAPI document's introduction (the top of /api/docs). It said only "Contract: API.md.": a
 * newcomer at the page did not learn how to get a token for "Authorize", and nothing there said what an
 * error looks like or which codes exist (each operation now also lists its own error answers).
 */
export const OPENAPI_DESCRIPTION = [
  'Connects CRM sub-accounts to lead and conversation platforms. The contract is API.md; this document is generated from the code.',
  '',
  '**Authorize** with a bearer JWT (claims `sub`, `role`: SUPER_ADMIN | ADMIN | MANAGER | AGENT, `subAccountIds`, `exp`, `iat`). ' +
    'In development, `npm run -s token -- --role ADMIN --sub-accounts 1` prints one (`--help` for the options).',
  '',
  '**Errors**: each operation lists the error answers it gives (schema `ErrorResponseDto`); every error answers ' +
    '`{ "statusCode", "code", "message", "details": [] }` with one of these codes: ' +
    Object.entries(ERROR_STATUS)
      .map(([code, status]) => `${code} (${status})`)
      .join(', ') +
    '.',
  '',
  "**Webhooks** (`/api/webhooks/…`) are public and signed: their operations list each provider's signature headers and the handshake's query parameters; a generic webhook's signature is also described in its template's config schema and in the README's \"Trying it\".",
].join('\n');
