import { metaMessagingWebhook } from '../shared/meta-messaging-handler';

/**
 * Instagram deliveries (`object: "instagram"`), routed by `entry[].id`: "ID of your Instagram
 * Professional account" (developers.facebook.com/documentation/business-messaging/instagram-messaging/
 * webhooks), so the routing key is `instagramAccountId`, not the connected page. Signed like every
 * Meta webhook with the app secret (X-Hub-Signature-256).
 */
export const instagramDirectWebhook = metaMessagingWebhook({
  channel: 'instagram',
  routingField: 'instagramAccountId',
});
