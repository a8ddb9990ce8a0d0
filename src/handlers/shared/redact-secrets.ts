import type { IntegrationConfig } from '../integration-handler';

/**
 * A provider message should never echo a secret, but test results are shown to users: every
 * configured secret named in `keys` is replaced, whatever the provider sent back.
 */
export function redactSecrets(message: string, config: IntegrationConfig, keys: readonly string[]): string {
  return keys.reduce<string>((text, key) => {
    const secret = config[key];
    return typeof secret === 'string' && secret.length >= 4 ? text.split(secret).join('[redacted]') : text;
  }, message);
}
