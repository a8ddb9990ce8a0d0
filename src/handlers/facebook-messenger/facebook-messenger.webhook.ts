import type { WebhookSpec } from '../integration-handler';
import { optionalConfigString } from '../shared/json';
import { hubHandshake, META_VERIFICATION_FIELDS, verifyHubSignature } from '../shared/meta-hub';
import { entryIds, extractMessagingEvents, selectEntry } from '../shared/meta-messaging';

/**
 * Messenger deliveries (`object: "page"`) on the app's one callback URL, routed by `entry[].id` (the
 * page) and verified with the app secret over the raw bytes (X-Hub-Signature-256), as Meta Lead Ads.
 */
export const facebookMessengerWebhook: WebhookSpec = {
  routing: 'provider',
  routingKeys: entryIds,
  routingKeyOf: (config) => optionalConfigString(config, 'pageId'),
  selectForRoutingKey: selectEntry,
  verificationFields: META_VERIFICATION_FIELDS,
  verify: verifyHubSignature,
  extractEvents: (payload) => extractMessagingEvents(payload, 'messenger'),
  handshake: hubHandshake,
};
