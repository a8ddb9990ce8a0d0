import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAppConfig, readEnvironment, withDevelopmentSecrets } from './load-app-config';

const dirs: string[] = [];
const dir = (): string => {
  const made = mkdtempSync(join(tmpdir(), 'cfg-'));
  dirs.push(made);
  return made;
};
afterAll(() => dirs.forEach((made) => rmSync(made, { recursive: true, force: true })));

describe('loadAppConfig (bootstrap of main.ts and the scripts)', () => {
  it('outside production, creates the development secrets once under DATA_DIR and reuses them', () => {
    const dataDir = dir();
    const first = loadAppConfig({ DATA_DIR: dataDir });
    expect(first.jwt.secret).toHaveLength(44);
    expect(first.encryptionKeys.map((k) => k.id)).toEqual(['dev']);
    expect(statSync(join(dataDir, 'dev-jwt-secret')).mode & 0o777).toBe(0o600);
    const second = loadAppConfig({ DATA_DIR: dataDir });
    expect(second.jwt.secret).toBe(first.jwt.secret);
    expect(second.encryptionKeys[0].key.equals(first.encryptionKeys[0].key)).toBe(true);
  });

  it('keeps configured secrets, writes nothing in production, and returns a new object', () => {
    const env = { NODE_ENV: 'production', DATA_DIR: dir() };
    expect(withDevelopmentSecrets(env)).toBe(env);
    expect(() => loadAppConfig(env)).toThrow('JWT_SECRET or JWT_PUBLIC_KEY is required');
    const configured = { JWT_SECRET: 'y'.repeat(32), ENCRYPTION_KEYS: 'a:' + Buffer.alloc(32).toString('base64') };
    const filled = withDevelopmentSecrets({ ...configured, DATA_DIR: dir() });
    expect(filled).toEqual(expect.objectContaining(configured));
  });

  it('reads .env under the real environment, which wins, without writing process.env', () => {
    const file = join(dir(), '.env');
    writeFileSync(file, 'PORT=4000\nLOG_LEVEL=debug\nHUB_SPEC_ONLY_IN_FILE=1\n');
    const before = { ...process.env };
    const env = readEnvironment({ PORT: '5000' }, file);
    expect(env).toEqual({ PORT: '5000', LOG_LEVEL: 'debug', HUB_SPEC_ONLY_IN_FILE: '1' });
    expect(process.env).toEqual(before);
    expect(readFileSync(file, 'utf8')).toContain('PORT=4000');
  });
});
