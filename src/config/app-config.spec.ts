import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseAppConfig } from './app-config';

const base = { JWT_SECRET: 'x'.repeat(32), DATA_DIR: mkdtempSync(join(tmpdir(), 'cfg-')) };

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
  ])('names the variable in error for %j', (env, name) => {
    expect(() => parseAppConfig({ ...base, ...env })).toThrow(ConfigError);
    expect(() => parseAppConfig({ ...base, ...env })).toThrow(name);
  });

  it('outside production, creates and reuses a development JWT secret when none is set', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const first = parseAppConfig({ DATA_DIR: dir }).jwt.secret;
    expect(first).toHaveLength(44);
    expect(parseAppConfig({ DATA_DIR: dir }).jwt.secret).toBe(first);
  });
});
