import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { IntegrationHandler } from './integration-handler';
import { baseUrlSetting, ProviderDefinition } from './provider';

/** The module a provider folder declares itself in (provider.ts, provider.js once compiled). */
export const PROVIDER_MODULE = 'provider';

function isDefinition(value: unknown): value is ProviderDefinition {
  return typeof value === 'object' && value !== null && typeof (value as { handler?: unknown }).handler === 'function';
}

/**
 * Every folder under `dir` with a provider module, in folder-name order: its `provider` export.
 * This is the only list of providers there is; nothing else names them.
 */
export function discoverProviders(dir: string = __dirname): ProviderDefinition[] {
  const found: ProviderDefinition[] = [];
  const folders = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  for (const folder of folders) {
    const base = join(dir, folder, PROVIDER_MODULE);
    if (!['.ts', '.js'].some((ext) => existsSync(`${base}${ext}`))) continue;
    // a folder is loaded by name: no list of providers to keep in step with the folders
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded: unknown = require(base);
    const definition =
      typeof loaded === 'object' && loaded !== null ? (loaded as { provider?: unknown }).provider : undefined;
    if (!isDefinition(definition)) throw new Error(`${base} must export \`provider\` (defineProvider({ handler, … }))`);
    found.push(definition);
  }
  return found;
}

export interface ProviderCatalogue {
  handlers: ReadonlyArray<new () => IntegrationHandler>;
  /** Lead platforms, one per provider that makes leads. */
  leadPlatforms: readonly string[];
  /** Base URL key → default (a key shared by several providers appears once). */
  baseUrls: Readonly<Record<string, string>>;
}

/** What the rest of the application needs to know about the providers, derived from their definitions. */
export function catalogue(definitions: readonly ProviderDefinition[]): ProviderCatalogue {
  const platforms = new Set<string>();
  const baseUrls: Record<string, string> = {};
  for (const definition of definitions) {
    if (definition.platform !== undefined) {
      if (platforms.has(definition.platform))
        throw new Error(`Two providers declare the lead platform "${definition.platform}"`);
      platforms.add(definition.platform);
    }
    for (const [key, fallback] of Object.entries(definition.baseUrls ?? {})) {
      if (!/^[a-z][a-zA-Z0-9]*$/.test(key)) throw new Error(`Base URL key "${key}" must be camelCase`);
      if (key in baseUrls && baseUrls[key] !== fallback)
        throw new Error(
          `Providers disagree on the default of ${baseUrlSetting(key)}: ${baseUrls[key]} and ${fallback}`,
        );
      baseUrls[key] = fallback;
    }
  }
  // A handler typed for its own config serves the registry's untyped one (handler methods compare
  // bivariantly): every config reaching a handler has passed its template's JSON Schema first.
  return { handlers: definitions.map((d) => d.handler), leadPlatforms: [...platforms], baseUrls };
}

const PROVIDERS = catalogue(discoverProviders());

/** Every provider handler class (src/handlers/<folder>/provider.ts). */
export const ALL_HANDLERS = PROVIDERS.handlers;
/** The lead platforms of the registered providers (LeadInput.platform, the leads list's `source`). */
export const LEAD_PLATFORMS = PROVIDERS.leadPlatforms;
/** The providers' API base URLs by key, defaults (overridden by `<KEY>_URL`, see baseUrlSetting). */
export const PROVIDER_BASE_URLS = PROVIDERS.baseUrls;
