// Shown to an admin connecting this provider (the seeded template's setupInstructions, Markdown).
// Field names are this handler's config schema; console paths only where the provider documents them.
export const FACEBOOK_MESSENGER_SETUP = [
  'Messenger conversations of one Facebook Page.',
  '',
  '1. **Facebook Page ID** (`pageId`): the numeric id of the Page.',
  '2. **Page access token** (`pageAccessToken`): a Page token with `pages_messaging` (and `pages_manage_metadata` to subscribe the Page to the app).',
  '3. **App secret** (`appSecret`): in the Meta App Dashboard, *App settings → Basic*; Meta signs every delivery with it (`X-Hub-Signature-256`).',
  "4. **Verify token** (`verifyToken`): a random string you choose; type the same string in the app's webhook settings.",
  "5. Save the integration, then run **Test connection**: it becomes active, and only an active integration answers the provider's verification request and receives deliveries.",
  "6. In the Meta app's Messenger webhook settings (object **Page**) set the callback URL to `<hub>/api/webhooks/facebook-messenger` (`<hub>` is the start of this integration's `webhookUrl`) with the verify token above, subscribe to the `messages` field, and subscribe the Page to the app.",
  "7. Tick **Human agent replies** only when the app is approved for Meta's Human Agent permission.",
].join('\n');
