import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { AppConfig, Env, parseAppConfig } from './app-config';

/**
 * The process environment over the variables of `.env` (a variable already set in the environment
 * wins, as with `process.loadEnvFile`). A new object: process.env itself is never written.
 */
export function readEnvironment(env: Env = process.env, envFile = '.env'): Env {
  const fromFile = existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')) : {};
  return { ...fromFile, ...env };
}

/**
 * A development secret kept under the data directory, so that `npm start` works on a fresh machine
 * with no .env and `npm run token` signs with the same secret. Created on first use.
 */
function developmentSecret(dataDir: string, name: string): string {
  const file = resolve(dataDir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dirname(file), { recursive: true });
  const value = randomBytes(32).toString('base64');
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return value;
}

/**
 * Outside production, the JWT secret and the encryption key that are not configured are read from
 * (or first written to) DATA_DIR. This is bootstrap, not parsing: parseAppConfig stays pure.
 */
export function withDevelopmentSecrets(env: Env): Env {
  if ((env.NODE_ENV?.trim() || 'development') === 'production') return env;
  const dataDir = resolve(env.DATA_DIR?.trim() || '.data');
  const filled: Env = { ...env };
  if (!env.JWT_SECRET?.trim() && !env.JWT_PUBLIC_KEY?.trim()) {
    filled.JWT_SECRET = developmentSecret(dataDir, 'dev-jwt-secret');
  }
  if (!env.ENCRYPTION_KEYS?.trim()) filled.ENCRYPTION_KEYS = `dev:${developmentSecret(dataDir, 'dev-encryption-key')}`;
  return filled;
}

/** What main.ts and each script do once at start: environment and .env, development secrets, parsed. */
export function loadAppConfig(env: Env = readEnvironment()): AppConfig {
  return parseAppConfig(withDevelopmentSecrets(env));
}
