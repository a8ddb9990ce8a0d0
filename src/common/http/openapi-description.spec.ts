import { ERROR_STATUS } from '../errors/error-code';
import { OPENAPI_DESCRIPTION } from './openapi-description';

describe('OPENAPI_DESCRIPTION', () => {
  it('says how to get a token for "Authorize"', () => {
    expect(OPENAPI_DESCRIPTION).toContain('npm run -s token -- --role ADMIN --sub-accounts 1');
  });

  it('shows the error shape and names every error code with its status', () => {
    expect(OPENAPI_DESCRIPTION).toContain('"statusCode", "code", "message", "details"');
    for (const [code, status] of Object.entries(ERROR_STATUS))
      expect(OPENAPI_DESCRIPTION).toContain(`${code} (${status})`);
  });
});
