import { resolve } from 'node:path';
import { baseUrlSetting } from '../handlers/provider';
import { PROVIDER_BASE_URLS } from '../handlers/providers';
import type { MetaLoginConfigKey, OAuthAppConfig, OAuthProviderKey } from '../handlers/oauth/oauth-provider';
import { META_GRAPH_DEFAULT_URL } from '../handlers/shared/meta-graph';
import { bool, ConfigError, Env, int, oneOf, optional, str, url } from './env-readers';

export { ConfigError, type Env } from './env-readers';

export type AppRole = 'all' | 'api' | 'worker';
export type NodeEnv = 'development' | 'production' | 'test';

export interface JwtConfig {
  /** HS256 shared secret (used when no public key is set). */
  secret?: string;
  /** RS256 PEM public key; takes precedence over the secret. */
  publicKey?: string;
  /** When set, a token's `iss` must equal it. */
  issuer?: string;
  /** When set, a token's `aud` must name one of these. */
  audience?: string[];
  /** The longest lifetime a token may have (`exp - iat`, or `exp - now` without `iat`). */
  maxAgeSeconds: number;
}

export interface AppConfig {
  nodeEnv: NodeEnv;
  port: number;
  host: string;
  role: AppRole;
  /** Undefined only before the embedded database has been started (see main.ts). */
  databaseUrl?: string;
  /** Connections of the process's one database pool (Prisma and the hot-path statements share it). */
  dbPoolSize: number;
  /** Local state: the embedded database and development secrets. */
  dataDir: string;
  migrateOnStart: boolean;
  embeddedPg: { dir: string; port: number };
  jwt: JwtConfig;
  logLevel: string;
  /** Write logs to this file instead of stdout (tests read it to prove nothing secret is logged). */
  logFile?: string;
  publicBaseUrl: string;
  bodyLimitBytes: number;
  /** Fastify trustProxy: false, true, a hop count, or proxy addresses/CIDRs. */
  trustProxy: boolean | number | string[];
  /**
   * Browser origins (scheme://host[:port]) allowed to call the API from another origin (CORS): the CRM's
   * frontend. Empty (the default) sends no CORS headers, so only same-origin pages and servers call it.
   */
  corsOrigins: string[];
  shutdownTimeoutMs: number;
  jobs: {
    pollingIntervalSeconds: number;
    /** How often a worker process expires dead workers' leases and archives (pg-boss maintenance). */
    maintenanceSeconds: number;
    /** Connections of pg-boss's own pool (on top of dbPoolSize: the per-process budget is their sum). */
    poolSize: number;
    /** Overrides every job type's lease (tests shorten it to prove crash recovery). */
    leaseSeconds?: number;
  };
  /** AES-256-GCM keys by id; the first encrypts, all decrypt. */
  encryptionKeys: EncryptionKey[];
  /** Integrations allowed per handler per sub-account, by tier (-1 = unlimited). */
  planLimits: Record<'STARTER' | 'PRO' | 'MAX', number>;
  /** How long a rotated-out webhook secret keeps verifying. */
  webhookSecretGraceMs: number;
  /** The providers' API base URLs by key (src/handlers/<provider>/provider.ts), each overridable as `<KEY>_URL`. */
  providerUrls: Readonly<Record<string, string>>;
  /** Issue 13: generated report files and scheduled report e-mails. */
  reports: {
    /** Directory of generated files (REPORT_STORAGE_DIR). */
    storageDir: string;
    /** smtp:// or smtps:// URL (SMTP_URL); without it scheduled reports are generated but not mailed. */
    smtpUrl?: string;
    /** Sender of report e-mails (MAIL_FROM). */
    mailFrom: string;
    /** Lifetime of a signed download link (REPORT_LINK_TTL_HOURS, at most 7 days). */
    linkTtlMs: number;
  };
  /** API.md "OAuth connections": the apps' credentials and endpoints, and where the CRM may be sent back to. */
  oauth: {
    /** Exact redirect URIs (scheme, host, port, path) the CRM may ask to be sent back to. */
    redirectAllowlist: string[];
    stateTtlMs: number;
    /** Refresh an access token this long before it expires. */
    refreshAheadMs: number;
    /**
     * Minutes between the sweeps that refresh tokens due before the next sweep, used or not, and stop
     * the integrations whose grant ran out (OAUTH_REFRESH_SWEEP_MINUTES; 0 = no sweep).
     */
    refreshSweepMinutes: number;
    apps: Record<OAuthProviderKey, OAuthAppConfig>;
    /**
     * Facebook Login for Business configurations of the hub's Meta app, by the handlers that connect
     * through them (META_WHATSAPP_CONFIG_ID: WhatsApp). A handler whose configuration is set opens the
     * dialog with its config_id instead of scopes; unset, it connects with Facebook Login as before.
     */
    metaLoginConfigs: Partial<Record<MetaLoginConfigKey, string>>;
  };
  sync: {
    defaultIntervalMinutes: number;
    maxPagesPerRun: number;
    /** Pages one job of a run fetches before it hands the run to a new job (each job fits its lease). */
    pagesPerJob: number;
  };
  outbound: { timeoutMs: number; circuit: { threshold: number; cooldownMs: number } };
  webhooks: {
    maxBytes: number;
    ratePerIpPerMinute: number;
    ratePerIntegrationPerMinute: number;
    cacheTtlMs: number;
    /** The unit of the retry backoff min(2^attempts, 60) × unit (one minute; tests shorten it). */
    retryUnitMs: number;
    maxAttempts: number;
    /**
     * The first wait before an event that met a busy database (a deadlock's victim, a lost connection)
     * runs again, doubling up to 60×; such a failure is not counted as an attempt (a second; tests shorten it).
     */
    busyRetryMs: number;
    /**
     * PROCESSED events older than this many days are deleted, with their payloads (hourly, by a
     * worker); FAILED and unfinished events are kept whatever their age. 0 keeps every event.
     */
    retentionDays: number;
  };
}

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

/**
 * WEBHOOK_EVENT_RETENTION_DAYS: 0 (keep everything) or at least 7, so that a provider's redelivery
 * still finds the event it repeats (WhatsApp retries for up to 7 days) and stays a duplicate.
 */
function retentionDays(env: Env): number {
  const days = int(env, 'WEBHOOK_EVENT_RETENTION_DAYS', 30, 0, 36_500);
  if (days !== 0 && days < 7)
    throw new ConfigError(`WEBHOOK_EVENT_RETENTION_DAYS must be 0 (keep every event) or at least 7 (got "${days}")`);
  return days;
}

function jwtConfig(env: Env, nodeEnv: NodeEnv): JwtConfig {
  const publicKey = env.JWT_PUBLIC_KEY?.trim();
  const secret = env.JWT_SECRET?.trim();
  const audience = env.JWT_AUDIENCE?.split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  const claims = {
    issuer: env.JWT_ISSUER?.trim() || undefined,
    audience: audience?.length ? audience : undefined,
    // 30 days by default: API.md asks only for exp, and CRMs issue tokens for days; a year is refused
    maxAgeSeconds: int(env, 'JWT_MAX_AGE_SECONDS', 30 * 24 * 3600, 60, 366 * 24 * 3600),
  };
  if (publicKey) {
    if (!publicKey.includes('BEGIN PUBLIC KEY')) {
      throw new ConfigError('JWT_PUBLIC_KEY must be a PEM public key (-----BEGIN PUBLIC KEY-----)');
    }
    return { ...claims, publicKey: publicKey.replace(/\\n/g, '\n') };
  }
  if (secret) {
    if (secret.length < 32) throw new ConfigError('JWT_SECRET must be at least 32 characters');
    return { ...claims, secret };
  }
  throw new ConfigError(
    nodeEnv === 'production'
      ? 'JWT_SECRET or JWT_PUBLIC_KEY is required'
      : 'JWT_SECRET or JWT_PUBLIC_KEY is required (npm start and the scripts generate a development one under DATA_DIR)',
  );
}

function encryptionKeys(env: Env): EncryptionKey[] {
  const raw = env.ENCRYPTION_KEYS?.trim();
  if (!raw) throw new ConfigError('ENCRYPTION_KEYS is required (kid:base64key,…)');
  const keys = raw.split(',').map((part, index) => {
    const [id, b64, extra] = part.trim().split(':');
    if (!id || !b64 || extra !== undefined || !/^[A-Za-z0-9_-]{1,32}$/.test(id)) {
      throw new ConfigError(
        `ENCRYPTION_KEYS entry ${index + 1} must look like kid:base64key (kid of letters, digits, - or _)`,
      );
    }
    const key = Buffer.from(b64, 'base64');
    if (key.length !== 32)
      throw new ConfigError(`ENCRYPTION_KEYS key "${id}" must be 32 bytes, base64-encoded (got ${key.length} bytes)`);
    return { id, key };
  });
  if (new Set(keys.map((k) => k.id)).size !== keys.length)
    throw new ConfigError('ENCRYPTION_KEYS has a duplicate key id');
  return keys;
}

/** Each provider's OAuth app (client id and secret) and endpoints, defaulting to the real ones. */
function oauthConfig(env: Env, metaGraph: string, ghl: string): AppConfig['oauth'] {
  const allowlist = (env.OAUTH_REDIRECT_ALLOWLIST ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean)
    .map((u) => {
      try {
        const parsed = new URL(u);
        if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error('scheme');
        return parsed.origin + parsed.pathname;
      } catch {
        throw new ConfigError(`OAUTH_REDIRECT_ALLOWLIST entries must be http(s) URLs (got "${u}")`);
      }
    });
  // Facebook Login's dialog is versioned like the Graph API (META_GRAPH_URL's version is reused)
  const graphVersion = /\/(v\d+\.\d+)$/.exec(metaGraph)?.[1] ?? 'v25.0';
  return {
    redirectAllowlist: allowlist,
    stateTtlMs: 10 * 60_000,
    refreshAheadMs: int(env, 'OAUTH_REFRESH_AHEAD_SECONDS', 300, 0, 86_400) * 1000,
    refreshSweepMinutes: int(env, 'OAUTH_REFRESH_SWEEP_MINUTES', 5, 0, 60),
    apps: {
      meta: {
        clientId: optional(env, 'META_APP_ID'),
        clientSecret: optional(env, 'META_APP_SECRET'),
        authorizeUrl: url(env, 'META_OAUTH_AUTHORIZE_URL', `https://www.facebook.com/${graphVersion}/dialog/oauth`),
        tokenUrl: url(env, 'META_OAUTH_TOKEN_URL', `${metaGraph}/oauth/access_token`),
      },
      linkedin: {
        clientId: optional(env, 'LINKEDIN_CLIENT_ID'),
        clientSecret: optional(env, 'LINKEDIN_CLIENT_SECRET'),
        authorizeUrl: url(env, 'LINKEDIN_OAUTH_AUTHORIZE_URL', 'https://www.linkedin.com/oauth/v2/authorization'),
        tokenUrl: url(env, 'LINKEDIN_OAUTH_TOKEN_URL', 'https://www.linkedin.com/oauth/v2/accessToken'),
        revokeUrl: url(env, 'LINKEDIN_OAUTH_REVOKE_URL', 'https://www.linkedin.com/oauth/v2/revoke'),
      },
      google: {
        clientId: optional(env, 'GOOGLE_CLIENT_ID'),
        clientSecret: optional(env, 'GOOGLE_CLIENT_SECRET'),
        authorizeUrl: url(env, 'GOOGLE_OAUTH_AUTHORIZE_URL', 'https://accounts.google.com/o/oauth2/v2/auth'),
        tokenUrl: url(env, 'GOOGLE_OAUTH_TOKEN_URL', 'https://oauth2.googleapis.com/token'),
        revokeUrl: url(env, 'GOOGLE_OAUTH_REVOKE_URL', 'https://oauth2.googleapis.com/revoke'),
      },
      gohighlevel: {
        clientId: optional(env, 'GHL_CLIENT_ID'),
        clientSecret: optional(env, 'GHL_CLIENT_SECRET'),
        authorizeUrl: url(env, 'GHL_OAUTH_AUTHORIZE_URL', 'https://marketplace.gohighlevel.com/oauth/chooselocation'),
        tokenUrl: url(env, 'GHL_OAUTH_TOKEN_URL', `${ghl}/oauth/token`),
      },
    },
    metaLoginConfigs: optionalConfigId(env, 'META_WHATSAPP_CONFIG_ID', 'whatsapp'),
  };
}

/** A Facebook Login for Business configuration id (the App Dashboard shows a number), when set. */
function optionalConfigId(
  env: Env,
  name: string,
  key: MetaLoginConfigKey,
): Partial<Record<MetaLoginConfigKey, string>> {
  const value = optional(env, name);
  if (value === undefined) return {};
  if (!/^[0-9]+$/.test(value))
    throw new ConfigError(`${name} must be the numeric id of a Facebook Login for Business configuration`);
  return { [key]: value };
}

/** CORS_ORIGINS: comma-separated origins, each exactly scheme://host[:port] (no path, no wildcard). */
function corsOrigins(env: Env): string[] {
  return (env.CORS_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)
    .map((o) => {
      let parsed: URL | undefined;
      try {
        parsed = new URL(o);
      } catch {
        parsed = undefined;
      }
      // an origin is what a browser sends in Origin: no path, query, credentials or trailing slash
      if (!parsed || !['https:', 'http:'].includes(parsed.protocol) || parsed.origin !== o)
        throw new ConfigError(`CORS_ORIGINS entries must be origins such as https://app.example.com (got "${o}")`);
      return parsed.origin;
    });
}

function trustProxy(env: Env): boolean | number | string[] {
  const raw = env.TRUST_PROXY?.trim();
  if (!raw || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  const list = raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (!list.every((p) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(p))) {
    throw new ConfigError('TRUST_PROXY must be false, true, a hop count, or comma-separated proxy addresses/CIDRs');
  }
  return list;
}

function smtpUrl(env: Env): string | undefined {
  const raw = env.SMTP_URL?.trim();
  if (!raw) return undefined;
  // the value may hold a password: never echoed
  if (!/^smtps?:\/\/[^\s]+$/.test(raw)) throw new ConfigError('SMTP_URL must be an smtp:// or smtps:// URL');
  return raw;
}

function planLimits(env: Env): AppConfig['planLimits'] {
  const limits: AppConfig['planLimits'] = { STARTER: 1, PRO: 3, MAX: -1 };
  const raw = env.PLAN_LIMITS?.trim();
  if (!raw) return limits;
  for (const part of raw.split(',')) {
    const [tier, value] = part.trim().split(':');
    const n = Number(value);
    if ((tier !== 'STARTER' && tier !== 'PRO' && tier !== 'MAX') || !Number.isInteger(n) || n < -1) {
      throw new ConfigError(`PLAN_LIMITS must look like STARTER:1,PRO:3,MAX:-1 (got "${raw}")`);
    }
    limits[tier] = n;
  }
  return limits;
}

/**
 * Parses and validates the environment; every error names the variable. Pure: no file is read or
 * written and nothing is set (main.ts and the scripts call it once, through loadAppConfig). `baseUrls`
 * are the providers' API base URLs with their defaults (derived from the provider folders).
 */
export function parseAppConfig(env: Env, baseUrls: Readonly<Record<string, string>> = PROVIDER_BASE_URLS): AppConfig {
  const nodeEnv = oneOf(env, 'NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const dataDir = resolve(str(env, 'DATA_DIR', '.data'));
  const port = int(env, 'PORT', 3000, 0, 65535);
  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a postgresql:// URL');
  }
  const providerUrls: Readonly<Record<string, string>> = Object.fromEntries(
    Object.entries(baseUrls).map(([key, fallback]) => [key, url(env, baseUrlSetting(key), fallback)]),
  );
  return {
    nodeEnv,
    port,
    host: str(env, 'HOST', '0.0.0.0'),
    role: oneOf(env, 'APP_ROLE', ['all', 'api', 'worker'] as const, 'all'),
    databaseUrl,
    dbPoolSize: int(env, 'DB_POOL_SIZE', 10, 1, 200),
    dataDir,
    migrateOnStart: bool(env, 'MIGRATE_ON_START', true),
    embeddedPg: {
      dir: resolve(dataDir, 'postgres'),
      port: int(env, 'EMBEDDED_PG_PORT', 54329, 1024, 65535),
    },
    jwt: jwtConfig(env, nodeEnv),
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    logFile: env.LOG_FILE?.trim() || undefined,
    publicBaseUrl: url(env, 'PUBLIC_BASE_URL', `http://localhost:${port}`),
    trustProxy: trustProxy(env),
    corsOrigins: corsOrigins(env),
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 1000, 120_000),
    jobs: {
      pollingIntervalSeconds: int(env, 'JOBS_POLL_SECONDS', 1, 1, 60),
      maintenanceSeconds: int(env, 'JOBS_MAINTENANCE_SECONDS', 30, 1, 3600),
      poolSize: int(env, 'JOBS_POOL_SIZE', 4, 1, 50),
      leaseSeconds: env.JOB_LEASE_SECONDS?.trim() ? int(env, 'JOB_LEASE_SECONDS', 120, 1, 86_400) : undefined,
    },
    encryptionKeys: encryptionKeys(env),
    planLimits: planLimits(env),
    webhookSecretGraceMs: int(env, 'WEBHOOK_SECRET_GRACE_HOURS', 24, 0, 24 * 30) * 3600_000,
    outbound: {
      timeoutMs: int(env, 'OUTBOUND_TIMEOUT_MS', 10_000, 100, 300_000),
      circuit: {
        threshold: int(env, 'OUTBOUND_CIRCUIT_THRESHOLD', 5, 1, 1000),
        cooldownMs: int(env, 'OUTBOUND_CIRCUIT_COOLDOWN_MS', 30_000, 10, 3_600_000),
      },
    },
    sync: {
      defaultIntervalMinutes: int(env, 'SYNC_INTERVAL_MINUTES', 15, 1, 10_080),
      maxPagesPerRun: int(env, 'SYNC_MAX_PAGES_PER_RUN', 10_000, 1, 1_000_000),
      pagesPerJob: int(env, 'SYNC_PAGES_PER_JOB', 50, 1, 1_000_000),
    },
    webhooks: {
      maxBytes: int(env, 'WEBHOOK_MAX_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
      ratePerIpPerMinute: int(env, 'WEBHOOK_RATE_PER_IP_PER_MINUTE', 6000, 1, 10_000_000),
      ratePerIntegrationPerMinute: int(env, 'WEBHOOK_RATE_PER_INTEGRATION_PER_MINUTE', 30_000, 1, 10_000_000),
      cacheTtlMs: int(env, 'WEBHOOK_CACHE_TTL_MS', 5000, 0, 600_000),
      retryUnitMs: int(env, 'WEBHOOK_RETRY_UNIT_MS', 60_000, 1, 3_600_000),
      maxAttempts: int(env, 'WEBHOOK_MAX_ATTEMPTS', 5, 1, 50),
      busyRetryMs: int(env, 'WEBHOOK_BUSY_RETRY_MS', 1000, 1, 60_000),
      retentionDays: retentionDays(env),
    },
    reports: {
      storageDir: resolve(str(env, 'REPORT_STORAGE_DIR', '.data/reports')),
      smtpUrl: smtpUrl(env),
      mailFrom: str(env, 'MAIL_FROM', 'Integration Hub <reports@localhost.localdomain>'),
      linkTtlMs: int(env, 'REPORT_LINK_TTL_HOURS', 168, 1, 168) * 3600_000,
    },
    providerUrls,
    // OAuth endpoints live on the providers' API hosts (also when a caller derives fewer base URLs)
    oauth: oauthConfig(
      env,
      providerUrls.metaGraph ?? url(env, 'META_GRAPH_URL', META_GRAPH_DEFAULT_URL),
      providerUrls.ghlApi ?? url(env, 'GHL_API_URL', GHL_DEFAULT_API_URL),
    ),
  };
}

/** GoHighLevel's API host, as src/handlers/gohighlevel/provider.ts declares it. */
const GHL_DEFAULT_API_URL = 'https://services.leadconnectorhq.com';

export const APP_CONFIG = Symbol('APP_CONFIG');
