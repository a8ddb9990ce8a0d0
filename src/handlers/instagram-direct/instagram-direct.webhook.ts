import type { WebhookSpec } from '../integration-handler';
import { optionalConfigString } from '../shared/json';
import { hubHandshake, META_VERIFICATION_FIELDS, verifyHubSignature } from '../shared/meta-hub';
import { entryIds, extractMessagingEvents, selectEntry } from '../shared/meta-messaging';

/**
 * Instagram deliveries (`object: "instagram"`), routed by `entry[].id`: "ID of your Instagram
 * Professional account" (developers.facebook.com/documentation/business-messaging/instagram-messaging/
 * webhooks), so the routing key is `instagramAccountId`, not the connected page. Signed like every
 * Meta webhook with the app secret (X-Hub-Signature-256).
 */
export const instagramDirectWebhook: WebhookSpec = {
  routing: 'provider',
  routingKeys: entryIds,
  routingKeyOf: (config) => optionalConfigString(config, 'instagramAccountId'),
  selectForRoutingKey: selectEntry,
  verificationFields: META_VERIFICATION_FIELDS,
  verify: verifyHubSignature,
  extractEvents: (payload) => extractMessagingEvents(payload, 'instagram'),
  handshake: hubHandshake,
};
