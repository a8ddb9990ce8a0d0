import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseAppConfig } from './app-config';

const base = { JWT_SECRET: 'x'.repeat(32), ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}` };

describe('parseAppConfig', () => {
  it('applies defaults', () => {
    const config = parseAppConfig(base);
    expect(config).toEqual(
      expect.objectContaining({
        port: 3000,
        role: 'all',
        migrateOnStart: true,
        bodyLimitBytes: 1024 * 1024,
        databaseUrl: undefined,
      }),
    );
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ APP_ROLE: 'both' }, 'APP_ROLE'],
    [{ MIGRATE_ON_START: 'maybe' }, 'MIGRATE_ON_START'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ JWT_SECRET: '', NODE_ENV: 'production' }, 'JWT_SECRET'],
    [{ JWT_PUBLIC_KEY: 'not a pem' }, 'JWT_PUBLIC_KEY'],
    [{ PUBLIC_BASE_URL: 'not a url' }, 'PUBLIC_BASE_URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ META_WHATSAPP_CONFIG_ID: 'whatsapp-config' }, 'META_WHATSAPP_CONFIG_ID'],
    [{ WEBHOOK_EVENT_RETENTION_DAYS: '3' }, 'WEBHOOK_EVENT_RETENTION_DAYS'],
    [{ WEBHOOK_EVENT_RETENTION_DAYS: '-1' }, 'WEBHOOK_EVENT_RETENTION_DAYS'],
    [{ CORS_ORIGINS: 'https://app.example.com/' }, 'CORS_ORIGINS'],
    [{ CORS_ORIGINS: 'https://app.example.com/crm' }, 'CORS_ORIGINS'],
    [{ CORS_ORIGINS: '*' }, 'CORS_ORIGINS'],
    [{ CORS_ORIGINS: 'app.example.com' }, 'CORS_ORIGINS'],
    [{ CORS_ORIGINS: 'ftp://app.example.com' }, 'CORS_ORIGINS'],
  ])('names the variable in error for %j', (env, name) => {
    expect(() => parseAppConfig({ ...base, ...env })).toThrow(ConfigError);
    expect(() => parseAppConfig({ ...base, ...env })).toThrow(name);
  });

  it('reads CORS_ORIGINS as a list of exact origins; none by default', () => {
    expect(parseAppConfig(base).corsOrigins).toEqual([]);
    expect(
      parseAppConfig({ ...base, CORS_ORIGINS: ' https://app.example.com, http://localhost:5173 ,' }).corsOrigins,
    ).toEqual(['https://app.example.com', 'http://localhost:5173']);
  });

  it('is pure: a missing secret is an error naming it, and nothing is written under DATA_DIR', () => {
    const dir = join(tmpdir(), `cfg-never-created-${process.pid}`);
    expect(() => parseAppConfig({ DATA_DIR: dir, ENCRYPTION_KEYS: base.ENCRYPTION_KEYS })).toThrow(/JWT_SECRET/);
    expect(() => parseAppConfig({ DATA_DIR: dir, JWT_SECRET: base.JWT_SECRET })).toThrow(/ENCRYPTION_KEYS/);
    expect(existsSync(dir)).toBe(false);
  });

  it("reads WhatsApp's Facebook Login for Business configuration id, and none when it is unset", () => {
    expect(parseAppConfig({ ...base, META_WHATSAPP_CONFIG_ID: ' 1234567890123456 ' }).oauth.metaLoginConfigs).toEqual({
      whatsapp: '1234567890123456',
    });
    expect(parseAppConfig(base).oauth.metaLoginConfigs).toEqual({});
    expect(parseAppConfig({ ...base, META_WHATSAPP_CONFIG_ID: '' }).oauth.metaLoginConfigs).toEqual({});
  });

  it('states the per-process connection budget: the shared pool plus pg-boss', () => {
    const config = parseAppConfig({ ...base, DB_POOL_SIZE: '7', JOBS_POOL_SIZE: '3' });
    expect(config.dbPoolSize).toBe(7);
    expect(config.jobs.poolSize).toBe(3);
    expect(parseAppConfig(base).jobs.poolSize).toBe(4);
  });

  it('keeps PROCESSED webhook events 30 days unless told: 0 keeps them all, otherwise at least 7', () => {
    expect(parseAppConfig(base).webhooks.retentionDays).toBe(30);
    expect(parseAppConfig({ ...base, WEBHOOK_EVENT_RETENTION_DAYS: '0' }).webhooks.retentionDays).toBe(0);
    expect(parseAppConfig({ ...base, WEBHOOK_EVENT_RETENTION_DAYS: '7' }).webhooks.retentionDays).toBe(7);
  });
});
