import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAppConfig } from '../config/app-config';
import { LeadPlatform } from './handler-types';
import { HandlerRegistry } from './handler-registry';
import { HandlerContext, IntegrationHandler, VerificationKeys, WebhookSpec } from './integration-handler';
import { baseUrlSetting, defineProvider, ProviderDefinition } from './provider';
import { ALL_HANDLERS, catalogue, discoverProviders, LEAD_PLATFORMS, PROVIDER_BASE_URLS } from './providers';

const env = { JWT_SECRET: 'x'.repeat(32), ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}` };

function handlerClass(key: string): new () => IntegrationHandler {
  return class implements IntegrationHandler {
    readonly key = key;
    readonly displayName = key;
    readonly category = 'test';
    readonly capabilities = ['test'] as const;
    readonly defaultConfigSchema = { type: 'object' as const, properties: {} };
    readonly defaultRateLimitPerMinute = 60;
    testConnection = async (): Promise<{ success: boolean; message: string }> => ({ success: true, message: 'ok' });
  };
}

/** A provider whose config is a declared interface (no index signature), as a real folder would write it. */
interface AcmeConfig {
  apiKey: string;
  region: 'eu' | 'us';
}

class AcmeHandler implements IntegrationHandler<AcmeConfig> {
  readonly key = 'acme';
  readonly displayName = 'Acme';
  readonly category = 'test';
  readonly capabilities = ['test', 'webhook'] as const;
  readonly defaultConfigSchema = { type: 'object' as const, properties: {} };
  readonly defaultRateLimitPerMinute = 60;
  readonly webhook: WebhookSpec<AcmeConfig> = {
    routing: 'integration',
    routingKeyOf: (config: AcmeConfig) => config.apiKey,
    verify: (_req, keys: VerificationKeys<AcmeConfig>) =>
      keys.config.region === 'eu' ? { ok: true } : { ok: false, reason: 'region' },
    extractEvents: () => [],
  };
  validateConfig(config: AcmeConfig): { pointer: string; message: string }[] {
    return config.apiKey.length > 0 ? [] : [{ pointer: '/apiKey', message: 'empty' }];
  }
  async testConnection(ctx: HandlerContext<AcmeConfig>): Promise<{ success: boolean; message: string }> {
    return { success: ctx.config.region === 'eu', message: ctx.config.apiKey };
  }
}

describe('providers: one folder each, everything else derived', () => {
  it('takes a handler whose config is a declared interface, without casts in the provider folder', async () => {
    const provider = defineProvider({ handler: AcmeHandler, platform: 'acme' });
    const { handlers } = catalogue([provider]);
    const registry = new HandlerRegistry(handlers.map((Handler) => new Handler()));
    const handler = registry.get('acme');
    expect(handler?.validateConfig?.({ apiKey: '', region: 'eu' })).toEqual([{ pointer: '/apiKey', message: 'empty' }]);
    const ctx = { config: { apiKey: 'k', region: 'eu' } } as unknown as HandlerContext;
    await expect(handler?.testConnection(ctx)).resolves.toEqual({ success: true, message: 'k' });
  });

  it('derives the settings of base URLs by one rule, keeping the names the deployments use', () => {
    expect(baseUrlSetting('metaGraph')).toBe('META_GRAPH_URL');
    expect(baseUrlSetting('ghlApi')).toBe('GHL_API_URL');
    expect(baseUrlSetting('linkedinApi')).toBe('LINKEDIN_API_URL');
    expect(baseUrlSetting('googleAnalyticsApi')).toBe('GOOGLE_ANALYTICS_API_URL');
    expect(baseUrlSetting('acme2Api')).toBe('ACME2_API_URL');
  });

  /**
   * The folders of src/handlers with a provider.ts, each loaded on its own: what the registry must agree
   * with. Read from disk so that adding a provider folder needs no edit here.
   */
  function providerFolders(): { folder: string; definition: ProviderDefinition }[] {
    return readdirSync(__dirname, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(__dirname, entry.name, 'provider.ts')))
      .map((entry) => ({
        folder: entry.name,
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        definition: (require(join(__dirname, entry.name, 'provider')) as { provider: ProviderDefinition }).provider,
      }));
  }

  it('registers the provider of every folder of src/handlers, and only those', () => {
    const folders = providerFolders();
    // the providers the deployments rely on are still folders (a deleted provider.ts would vanish from disk too)
    expect(folders.map((f) => f.folder)).toEqual(
      expect.arrayContaining([
        'facebook-ads',
        'facebook-messenger',
        'generic-webhook',
        'gohighlevel',
        'google-ads-lead-forms',
        'google-analytics',
        'instagram-direct',
        'linkedin-lead-gen',
        'meta-lead-ads',
        'whatsapp-cloud',
      ]),
    );
    // one handler per folder, in folder order, and nothing else
    expect(ALL_HANDLERS).toEqual(folders.map((f) => f.definition.handler));
    const keys = ALL_HANDLERS.map((Handler) => new Handler().key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) expect(key).toMatch(/^[a-z][a-z0-9-]*$/);

    // every declared platform, once; 'manual' belongs to people, not to a provider
    const platforms = folders.flatMap((f) => (f.definition.platform === undefined ? [] : [f.definition.platform]));
    expect([...LEAD_PLATFORMS].sort()).toEqual([...platforms].sort());
    expect(new Set(platforms).size).toBe(platforms.length);
    expect(LEAD_PLATFORMS).toEqual(expect.arrayContaining(['meta', 'google-ads', 'linkedin', 'gohighlevel']));
    expect(LEAD_PLATFORMS).not.toContain('manual');

    // every declared base URL with its default, each key once (shared keys agree)
    const declared = folders.flatMap((f) => Object.entries(f.definition.baseUrls ?? {}));
    expect(Object.keys(PROVIDER_BASE_URLS).sort()).toEqual([...new Set(declared.map(([key]) => key))].sort());
    for (const [key, fallback] of declared) {
      expect(PROVIDER_BASE_URLS[key]).toBe(fallback);
      expect(() => new URL(fallback)).not.toThrow();
    }
    expect(PROVIDER_BASE_URLS).toMatchObject({
      metaGraph: 'https://graph.facebook.com/v25.0',
      ghlApi: 'https://services.leadconnectorhq.com',
    });
  });

  it('reads each base URL from its setting, by the one naming rule, and keeps the default otherwise', () => {
    const keys = Object.keys(PROVIDER_BASE_URLS);
    expect(keys.length).toBeGreaterThan(0);
    expect(parseAppConfig(env).providerUrls).toEqual(PROVIDER_BASE_URLS);
    for (const [i, key] of keys.entries()) {
      const setting = baseUrlSetting(key);
      expect(setting).toMatch(/^[A-Z][A-Z0-9_]*_URL$/);
      // overriding one setting moves exactly its key (a trailing slash dropped)
      const config = parseAppConfig({ ...env, [setting]: `http://127.0.0.1:${9000 + i}/` });
      expect(config.providerUrls).toEqual({ ...PROVIDER_BASE_URLS, [key]: `http://127.0.0.1:${9000 + i}` });
      expect(() => parseAppConfig({ ...env, [setting]: 'not a url' })).toThrow(`${setting} must be a URL`);
    }
    // the settings deployments already set keep their names
    const config = parseAppConfig({
      ...env,
      GHL_API_URL: 'http://127.0.0.1:9999/',
      META_GRAPH_URL: 'http://x.test/v1',
    });
    expect(config.providerUrls).toMatchObject({ ghlApi: 'http://127.0.0.1:9999', metaGraph: 'http://x.test/v1' });
  });

  it('merges a base URL that several providers share, and refuses what would be ambiguous', () => {
    const a: ProviderDefinition = {
      handler: handlerClass('a'),
      platform: 'pa',
      baseUrls: { shared: 'https://s.test' },
    };
    const b: ProviderDefinition = {
      handler: handlerClass('b'),
      baseUrls: { shared: 'https://s.test', own: 'https://b.test' },
    };
    expect(catalogue([a, b])).toEqual({
      handlers: [a.handler, b.handler],
      leadPlatforms: ['pa'],
      baseUrls: { shared: 'https://s.test', own: 'https://b.test' },
    });
    expect(() => catalogue([a, { handler: handlerClass('c'), baseUrls: { shared: 'https://other.test' } }])).toThrow(
      'Providers disagree on the default of SHARED_URL',
    );
    expect(() => catalogue([a, { handler: handlerClass('c'), platform: 'pa' }])).toThrow(
      'Two providers declare the lead platform "pa"',
    );
    expect(() => catalogue([{ handler: handlerClass('c'), baseUrls: { Bad_Key: 'https://x.test' } }])).toThrow(
      'must be camelCase',
    );
  });

  describe('a new provider folder', () => {
    let dir: string;
    beforeAll(() => {
      // what a developer adds for a new provider, and nothing else: src/handlers/acme-forms/{handler, provider}
      dir = mkdtempSync(join(tmpdir(), 'hub-providers-'));
      const handlers = __dirname;
      mkdirSync(join(dir, 'acme-forms'));
      writeFileSync(
        join(dir, 'acme-forms', 'acme-forms.handler.ts'),
        `import type { HandlerContext, IntegrationHandler } from ${JSON.stringify(join(handlers, 'integration-handler'))};
import type { TestResult } from ${JSON.stringify(join(handlers, 'handler-types'))};

interface AcmeConfig { readonly apiKey: string }

export class AcmeFormsHandler implements IntegrationHandler<AcmeConfig> {
  readonly key = 'acme-forms';
  readonly displayName = 'Acme Forms';
  readonly category = 'lead-ads';
  readonly capabilities = ['test'] as const;
  readonly defaultConfigSchema = { type: 'object' as const, properties: { apiKey: { type: 'string', 'x-secret': true } } };
  readonly defaultRateLimitPerMinute = 60;
  async testConnection(ctx: HandlerContext<AcmeConfig>): Promise<TestResult> {
    return { success: ctx.config.apiKey.length > 0, message: ctx.urls.acmeApi };
  }
}
`,
      );
      writeFileSync(
        join(dir, 'acme-forms', 'provider.ts'),
        `import { defineProvider } from ${JSON.stringify(join(handlers, 'provider'))};
import { AcmeFormsHandler } from './acme-forms.handler';

export const provider = defineProvider({
  handler: AcmeFormsHandler,
  platform: 'acme',
  baseUrls: { acmeApi: 'https://api.acme.test' },
});
`,
      );
      // a folder without provider.ts (shared code) is not a provider
      mkdirSync(join(dir, 'shared'));
      writeFileSync(join(dir, 'shared', 'util.ts'), 'export const x = 1;\n');
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('is a registered handler with its lead platform and its base URL setting', async () => {
      const derived = catalogue(discoverProviders(dir));
      expect(derived.leadPlatforms).toEqual(['acme']);
      expect(derived.baseUrls).toEqual({ acmeApi: 'https://api.acme.test' });
      const registry = new HandlerRegistry(derived.handlers.map((Handler) => new Handler()));
      expect(registry.list().map((h) => h.key)).toEqual(['acme-forms']);
      const config = parseAppConfig({ ...env, ACME_API_URL: 'http://127.0.0.1:8080' }, derived.baseUrls);
      expect(config.providerUrls).toEqual({ acmeApi: 'http://127.0.0.1:8080' });
      const platform: LeadPlatform = derived.leadPlatforms[0];
      expect(platform).toBe('acme');
      const result = await registry.require('acme-forms').testConnection({
        integrationId: 1,
        subAccountId: 1,
        config: { apiKey: 'k' },
        http: undefined as never,
        urls: config.providerUrls,
        logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
        now: () => new Date(0),
      });
      expect(result).toEqual({ success: true, message: 'http://127.0.0.1:8080' });
    });

    it('fails loudly when provider.ts does not export its definition', () => {
      const broken = mkdtempSync(join(tmpdir(), 'hub-providers-broken-'));
      try {
        mkdirSync(join(broken, 'nothing'));
        writeFileSync(join(broken, 'nothing', 'provider.ts'), 'export const other = 1;\n');
        expect(() => discoverProviders(broken)).toThrow('must export `provider`');
      } finally {
        rmSync(broken, { recursive: true, force: true });
      }
    });
  });
});
