import { Injectable } from '@nestjs/common';
import type { JsonSchemaObject, TestResult } from '../handler-types';
import type { HandlerContext } from '../integration-handler';
import { asId, asString, configString, isRecord } from '../shared/json';
import { KEYWORD_SCHEMA_PROPERTIES } from '../shared/messaging-keywords';
import { MetaMessagingChannel, MetaMessagingHandler } from '../shared/meta-messaging-handler';
import { MAX_TEXT_LENGTH } from '../shared/meta-messaging-send';
import { graphTestFailure } from '../shared/meta-test-failure';
import { instagramDirectWebhook } from './instagram-direct.webhook';
import { INSTAGRAM_DIRECT_SETUP } from './setup-instructions';

const SECRETS = ['accessToken', 'appSecret', 'verifyToken'];

/**
 * Instagram Direct through the Messenger API for Instagram (Facebook Login): an Instagram
 * professional account connected to a Facebook Page, messages by webhook (`object: "instagram"`),
 * replies through the page's Send API. The Instagram API with Instagram Login (graph.instagram.com,
 * no page) is a different API and not this handler.
 */
@Injectable()
export class InstagramDirectHandler extends MetaMessagingHandler {
  readonly key = 'instagram-direct';
  readonly displayName = 'Instagram Direct';
  readonly setupInstructions = INSTAGRAM_DIRECT_SETUP;
  readonly webhook = instagramDirectWebhook;

  // routed by the Instagram account (entry[].id), sent through the connected page with its token;
  // the person's name and username (GET /<IGSID>?fields=name,username, the Instagram "User Profile" of
  // the Messenger API for Instagram; UNCONFIRMED first-hand: fields beyond these two); text up to 1000
  // bytes (MAX_TEXT_LENGTH.instagram)
  protected readonly channel: MetaMessagingChannel = {
    channel: 'instagram',
    label: 'Instagram',
    routingField: 'instagramAccountId',
    tokenField: 'accessToken',
    rateKeyPrefix: 'instagram:account',
    profileFields: 'name,username',
    textLimit: { max: MAX_TEXT_LENGTH.instagram, unit: 'bytes' },
  };

  readonly defaultConfigSchema: JsonSchemaObject = {
    type: 'object',
    title: 'Instagram Direct',
    properties: {
      instagramAccountId: {
        type: 'string',
        title: 'Instagram account ID',
        description: "Id of the Instagram professional account (the page's instagram_business_account).",
        pattern: '^[0-9]+$',
      },
      pageId: {
        type: 'string',
        title: 'Facebook Page ID',
        description: 'Numeric id of the Facebook Page the Instagram account is connected to.',
        pattern: '^[0-9]+$',
      },
      accessToken: {
        type: 'string',
        title: 'Page access token',
        description:
          'Token of the connected page with instagram_basic, instagram_manage_messages and pages_manage_metadata.',
        minLength: 1,
        'x-secret': true,
      },
      appSecret: {
        type: 'string',
        title: 'App secret',
        description: 'Secret of the Meta app; signs webhook deliveries (X-Hub-Signature-256).',
        minLength: 1,
        'x-secret': true,
      },
      verifyToken: {
        type: 'string',
        title: 'Verify token',
        description: "The token typed into the app's webhook settings; Meta echoes it in the subscription check.",
        minLength: 1,
        'x-secret': true,
      },
      humanAgentTag: {
        type: 'boolean',
        title: 'Human agent replies',
        description:
          'The app is approved for the Human Agent permission: agents may reply up to 7 days after the last message (HUMAN_AGENT tag).',
        default: false,
      },
      ...KEYWORD_SCHEMA_PROPERTIES,
    },
    required: ['instagramAccountId', 'pageId', 'accessToken', 'appSecret', 'verifyToken'],
    additionalProperties: false,
  };

  /**
   * Proves the token reaches this account: it must be the page's own token (/me is the page whose
   * token is used) and that page's `instagram_business_account` must be the configured account
   * (developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/page,
   * "Getting a Page's IG User"). Another page's token, or a page whose Instagram account is another
   * one, cannot claim it.
   */
  async testConnection(ctx: HandlerContext): Promise<TestResult> {
    const pageId = configString(ctx.config, 'pageId');
    const accountId = configString(ctx.config, 'instagramAccountId');
    try {
      const res = await this.graph(ctx, 'me', { fields: 'id,name,instagram_business_account{id,username}' });
      const body = isRecord(res.body) ? res.body : {};
      const id = asId(body.id);
      if (id !== pageId) {
        return {
          success: false,
          code: 'INVALID_CREDENTIALS',
          message: `The access token is not a token of page ${pageId}${id ? ` (it belongs to ${id})` : ''}`,
        };
      }
      const account = isRecord(body.instagram_business_account) ? body.instagram_business_account : undefined;
      const connected = account ? asId(account.id) : undefined;
      if (connected !== accountId) {
        return {
          success: false,
          code: 'INVALID_CREDENTIALS',
          message: connected
            ? `Page ${pageId} is connected to Instagram account ${connected}, not ${accountId}`
            : `Page ${pageId} has no Instagram professional account connected`,
        };
      }
      const username = account ? asString(account.username) : undefined;
      return { success: true, message: `Connected to Instagram account ${username ? `@${username}` : accountId}` };
    } catch (err) {
      return graphTestFailure(ctx, err, { token: 'page access token', resource: 'page' }, SECRETS);
    }
  }
}
