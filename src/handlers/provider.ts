import type { IntegrationHandler } from './integration-handler';

/**
 * What a provider folder declares in its `provider.ts` (`export const provider = defineProvider({…})`):
 * everything else (the handler list, the lead platforms, the base-URL settings) is derived from
 * these by src/handlers/providers.ts. Adding a provider is adding a folder.
 */
export interface ProviderDefinition {
  /**
   * The handler class (pure: no constructor dependencies). Its config type may be any shape, a declared
   * interface included (`IntegrationHandler<AcmeConfig>`, which `Record<string, unknown>` would refuse):
   * `never` accepts every `TConfig`; the pipeline hands a handler only configs its template's JSON
   * Schema has validated.
   */
  handler: new () => IntegrationHandler<never>;
  /** The platform its leads are attributed to (`LeadInput.platform`, the leads list's `source` filter), if it makes leads. */
  platform?: string;
  /**
   * Its API base URLs by key, with their defaults. A handler reads `ctx.urls[key]`; the setting that
   * overrides a default is the key in SCREAMING_SNAKE_CASE plus `_URL` (`ghlApi` → `GHL_API_URL`).
   * Providers on one API (Meta's Graph) share a key and must agree on its default.
   */
  baseUrls?: Readonly<Record<string, string>>;
}

export function defineProvider(definition: ProviderDefinition): ProviderDefinition {
  return definition;
}

/** The setting that overrides a base URL: `metaGraph` → `META_GRAPH_URL`, `googleAnalyticsApi` → `GOOGLE_ANALYTICS_API_URL`. */
export function baseUrlSetting(key: string): string {
  return `${key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}_URL`;
}
