import { metaMessagingWebhook } from '../shared/meta-messaging-handler';

/**
 * Messenger deliveries (`object: "page"`) on the app's one callback URL, routed by `entry[].id` (the
 * page) and verified with the app secret over the raw bytes (X-Hub-Signature-256), as Meta Lead Ads.
 */
export const facebookMessengerWebhook = metaMessagingWebhook({ channel: 'messenger', routingField: 'pageId' });
