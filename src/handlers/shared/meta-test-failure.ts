import { OutboundError } from '../../common/outbound/http-client';
import type { TestResult } from '../handler-types';
import type { HandlerContext } from '../integration-handler';
import { graphErrorOf, graphSaid, isGraphAuthError } from './meta-graph';
import { redactSecrets } from './redact-secrets';

/**
 * A failed Graph connection test as the API reports it: a refused or expired token (401/403, code
 * 190/102) is INVALID_CREDENTIALS, anything else CONNECTION_FAILED; configured secrets never appear.
 */
export function graphTestFailure(
  ctx: HandlerContext,
  err: unknown,
  labels: { token: string; resource: string },
  secrets: readonly string[],
): TestResult {
  if (!(err instanceof OutboundError)) {
    ctx.logger.error(
      { err: err instanceof Error ? err.message : String(err) },
      'Meta connection test failed unexpectedly',
    );
    return { success: false, code: 'CONNECTION_FAILED', message: 'Connection test failed unexpectedly' };
  }
  const graph = graphErrorOf(err.body);
  // Graph's words without what the call carried (query values, bearer credentials); then the configured secrets
  const said = graphSaid(err, []);
  if (err.kind === 'auth' || isGraphAuthError(graph)) {
    return {
      success: false,
      code: 'INVALID_CREDENTIALS',
      message: redactSecrets(`Meta refused the ${labels.token}: ${said}`, ctx.config, secrets),
    };
  }
  const reason = err.status === undefined ? err.message : said;
  return {
    success: false,
    code: 'CONNECTION_FAILED',
    message: redactSecrets(`Could not read the ${labels.resource} from the Graph API: ${reason}`, ctx.config, secrets),
  };
}
