import { Injectable } from '@nestjs/common';
import { SYNC_INTERVAL_PROPERTY } from '../shared/sync-interval';
import { OutboundError } from '../../common/outbound/http-client';
import type { Capability, ConfigProblem, JsonSchemaObject, SyncPage, TestResult } from '../handler-types';
import type { HandlerContext, IntegrationConfig, IntegrationHandler } from '../integration-handler';
import { asString, configString, isRecord, optionalConfigString } from '../shared/json';
import {
  GA_READONLY_SCOPE,
  JWT_BEARER_GRANT,
  parseServiceAccountKey,
  serviceAccountAssertion,
  ServiceAccountKey,
} from './ga-service-account';
import { syncTraffic } from './ga-report';
import type { HandlerOAuth } from '../oauth/oauth-provider';
import { GOOGLE_ANALYTICS_SETUP } from './setup-instructions';

export const GOOGLE_ANALYTICS_CONFIG_SCHEMA: JsonSchemaObject = {
  type: 'object',
  title: 'Google Analytics 4',
  description: 'A GA4 property read through the Google Analytics Data API with a service account.',
  properties: {
    propertyId: {
      type: 'string',
      title: 'GA4 property ID',
      description: 'The numeric property id (Admin → Property settings), not the G- measurement id.',
      pattern: '^[0-9]+$',
      maxLength: 20,
    },
    serviceAccountKey: {
      type: 'string',
      title: 'Service account JSON key',
      description: 'The JSON key file of a service account that has Viewer access to the property, pasted as text.',
      minLength: 2,
      maxLength: 20_000,
      'x-secret': true,
      'x-oauth': true,
    },
    accessToken: {
      type: 'string',
      title: 'OAuth access token',
      description: 'Filled by "Connect with Google" (instead of a service account key); refreshed by the hub.',
      minLength: 1,
      'x-secret': true,
      'x-oauth': true,
    },
    ...SYNC_INTERVAL_PROPERTY,
  },
  required: ['propertyId', 'serviceAccountKey'],
  additionalProperties: false,
};

const NOT_A_KEY = 'serviceAccountKey is not a service account JSON key';

/** OAuth errors of the token endpoint that mean the key itself is wrong, revoked or not allowed. */
const CREDENTIAL_ERRORS = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client']);

/**
 * Google's token endpoints, plus the Data API's own origin so tests and staging can point both at
 * one fake. The token_uri comes from tenant-supplied JSON: without this list, any admin could make
 * the server POST to an address of their choosing.
 */
function allowedTokenUri(tokenUri: string, ctx: HandlerContext): boolean {
  const { origin, protocol } = new URL(tokenUri);
  const google = ['https://oauth2.googleapis.com', 'https://accounts.google.com'];
  return (protocol === 'https:' && google.includes(origin)) || origin === new URL(ctx.urls.googleAnalyticsApi).origin;
}

function failure(err: unknown, prefix: string): TestResult {
  if (!(err instanceof OutboundError)) throw err;
  const oauthError = isRecord(err.body) ? asString(err.body.error) : undefined;
  const rejected = err.kind === 'auth' || (oauthError !== undefined && CREDENTIAL_ERRORS.has(oauthError));
  return {
    success: false,
    code: rejected ? 'INVALID_CREDENTIALS' : 'CONNECTION_FAILED',
    message: `${prefix}: ${err.message}`,
  };
}

@Injectable()
export class GoogleAnalyticsHandler implements IntegrationHandler {
  readonly key = 'google-analytics';
  readonly displayName = 'Google Analytics 4';
  readonly setupInstructions = GOOGLE_ANALYTICS_SETUP;
  readonly category = 'Analytics';
  readonly capabilities: readonly Capability[] = ['sync', 'test'];
  readonly defaultConfigSchema = GOOGLE_ANALYTICS_CONFIG_SCHEMA;
  readonly defaultRateLimitPerMinute = 60;
  /** Google sign-in with analytics.readonly; the OAuth access token replaces the service account key. */
  readonly oauth: HandlerOAuth = { provider: 'google', scopes: [GA_READONLY_SCOPE], tokenField: 'accessToken' };

  validateConfig(config: IntegrationConfig): ConfigProblem[] {
    const text = optionalConfigString(config, 'serviceAccountKey');
    return text !== undefined && parseServiceAccountKey(text) === undefined
      ? [{ pointer: '/serviceAccountKey', message: NOT_A_KEY }]
      : [];
  }

  /** JWT-bearer token for the service account, then the property's metadata: proves key and access. */
  async testConnection(ctx: HandlerContext): Promise<TestResult> {
    const propertyId = configString(ctx.config, 'propertyId');
    const oauthToken = optionalConfigString(ctx.config, 'accessToken');
    if (oauthToken !== undefined) return this.testWith(ctx, propertyId, oauthToken, 'the connected Google account');
    const key = parseServiceAccountKey(configString(ctx.config, 'serviceAccountKey'));
    if (!key) return { success: false, code: 'INVALID_CREDENTIALS', message: NOT_A_KEY };
    if (!allowedTokenUri(key.tokenUri, ctx)) {
      return {
        success: false,
        code: 'INVALID_CREDENTIALS',
        message: "serviceAccountKey's token_uri is not a Google token endpoint",
      };
    }
    let accessToken: string;
    try {
      accessToken = await this.accessToken(ctx, key);
    } catch (err) {
      return failure(err, 'The token request for the service account failed');
    }
    return this.testWith(ctx, propertyId, accessToken, key.clientEmail);
  }

  private async testWith(
    ctx: HandlerContext,
    propertyId: string,
    accessToken: string,
    who: string,
  ): Promise<TestResult> {
    try {
      await ctx.http.request({
        method: 'GET',
        url: `${ctx.urls.googleAnalyticsApi.replace(/\/+$/, '')}/v1beta/properties/${encodeURIComponent(propertyId)}/metadata`,
        headers: { Authorization: `Bearer ${accessToken}` },
      });
    } catch (err) {
      return failure(err, `${who} cannot read GA4 property ${propertyId}`);
    }
    return { success: true, message: `Connected to GA4 property ${propertyId} as ${who}` };
  }

  /**
   * Daily sessions, engaged sessions and key events by source, medium and campaign (ga-report.ts),
   * stored as traffic that analytics joins by campaign. A refused key is an auth failure for the
   * pipeline (the integration is marked INVALID_CREDENTIALS).
   */
  async syncData(ctx: HandlerContext, cursor: string | null): Promise<SyncPage> {
    const propertyId = configString(ctx.config, 'propertyId');
    const oauthToken = optionalConfigString(ctx.config, 'accessToken');
    if (oauthToken !== undefined)
      return syncTraffic(ctx.http, ctx.urls.googleAnalyticsApi, propertyId, oauthToken, cursor);
    const key = parseServiceAccountKey(configString(ctx.config, 'serviceAccountKey'));
    if (!key || !allowedTokenUri(key.tokenUri, ctx))
      throw new OutboundError('auth', 'serviceAccountKey is not a usable Google service account key');
    let accessToken: string;
    try {
      accessToken = await this.accessToken(ctx, key);
    } catch (err) {
      const refused = failure(err, 'The token request for the service account failed');
      if (refused.code === 'INVALID_CREDENTIALS') throw new OutboundError('auth', refused.message);
      throw err;
    }
    return syncTraffic(
      ctx.http,
      ctx.urls.googleAnalyticsApi,
      configString(ctx.config, 'propertyId'),
      accessToken,
      cursor,
    );
  }

  /** The JWT-bearer grant (RFC 7523), form-encoded as Google's token endpoint documents it. */
  private async accessToken(ctx: HandlerContext, key: ServiceAccountKey): Promise<string> {
    const res = await ctx.http.request({
      method: 'POST',
      url: key.tokenUri,
      form: { grant_type: JWT_BEARER_GRANT, assertion: serviceAccountAssertion(key, GA_READONLY_SCOPE, ctx.now()) },
    });
    const token = isRecord(res.body) ? asString(res.body.access_token) : undefined;
    if (token === undefined)
      throw new OutboundError(
        'server',
        `POST ${new URL(key.tokenUri).pathname} answered without an access_token`,
        res.status,
      );
    return token;
  }
}
