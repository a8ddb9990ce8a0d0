import { Injectable } from '@nestjs/common';
import type { JsonSchemaObject, TestResult } from '../handler-types';
import type { HandlerContext } from '../integration-handler';
import { asId, asString, configString, isRecord } from '../shared/json';
import { KEYWORD_SCHEMA_PROPERTIES } from '../shared/messaging-keywords';
import { MetaMessagingChannel, MetaMessagingHandler } from '../shared/meta-messaging-handler';
import { MAX_TEXT_LENGTH } from '../shared/meta-messaging-send';
import { graphTestFailure } from '../shared/meta-test-failure';
import { facebookMessengerWebhook } from './facebook-messenger.webhook';
import { FACEBOOK_MESSENGER_SETUP } from './setup-instructions';

const SECRETS = ['pageAccessToken', 'appSecret', 'verifyToken'];

/** Facebook Messenger: a page's conversations by webhook, replies through the Send API. */
@Injectable()
export class FacebookMessengerHandler extends MetaMessagingHandler {
  readonly key = 'facebook-messenger';
  readonly displayName = 'Facebook Messenger';
  readonly setupInstructions = FACEBOOK_MESSENGER_SETUP;
  readonly webhook = facebookMessengerWebhook;

  // the person's name from the User Profile API (GET /<PSID>?fields=first_name,last_name,name:
  // developers.facebook.com/docs/messenger-platform/identity/user-profile); Send API text up to 2000
  // characters (developers.facebook.com/docs/messenger-platform/reference/send-api, message.text)
  protected readonly channel: MetaMessagingChannel = {
    channel: 'messenger',
    label: 'Messenger',
    routingField: 'pageId',
    tokenField: 'pageAccessToken',
    rateKeyPrefix: 'messenger:page',
    profileFields: 'first_name,last_name,name',
    textLimit: { max: MAX_TEXT_LENGTH.messenger, unit: 'characters' },
  };

  readonly defaultConfigSchema: JsonSchemaObject = {
    type: 'object',
    title: 'Facebook Messenger',
    properties: {
      pageId: {
        type: 'string',
        title: 'Facebook Page ID',
        description: 'Numeric id of the Page whose Messenger conversations are connected.',
        pattern: '^[0-9]+$',
      },
      pageAccessToken: {
        type: 'string',
        title: 'Page access token',
        description: 'Page token with pages_messaging (and pages_manage_metadata to subscribe the page to the app).',
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
    required: ['pageId', 'pageAccessToken', 'appSecret', 'verifyToken'],
    additionalProperties: false,
  };

  /**
   * Proves the token is this page's: Graph's /me is "the person or Page whose access token is being
   * used" (developers.facebook.com/docs/graph-api/overview#me), so another page's token, or a user
   * token, cannot pass for it (as Meta Lead Ads checks the same page).
   */
  async testConnection(ctx: HandlerContext): Promise<TestResult> {
    const pageId = configString(ctx.config, 'pageId');
    try {
      const res = await this.graph(ctx, 'me', { fields: 'id,name' });
      const id = isRecord(res.body) ? asId(res.body.id) : undefined;
      if (id !== pageId) {
        return {
          success: false,
          code: 'INVALID_CREDENTIALS',
          message: `The page access token is not a token of page ${pageId}${id ? ` (it belongs to ${id})` : ''}`,
        };
      }
      const name = (isRecord(res.body) ? asString(res.body.name) : undefined) ?? pageId;
      return { success: true, message: `Connected to the Messenger inbox of page ${name}` };
    } catch (err) {
      return graphTestFailure(ctx, err, { token: 'page access token', resource: 'page' }, SECRETS);
    }
  }
}
