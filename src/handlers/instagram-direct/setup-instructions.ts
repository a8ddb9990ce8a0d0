// Shown to an admin connecting this provider (the seeded template's setupInstructions, Markdown).
// Field names are this handler's config schema; console paths only where the provider documents them.
export const INSTAGRAM_DIRECT_SETUP = [
  'Instagram Direct conversations of a professional account connected to a Facebook Page.',
  '',
  "1. **Instagram account ID** (`instagramAccountId`): the Page's `instagram_business_account` id; **Facebook Page ID** (`pageId`): the Page it is connected to.",
  '2. **Page access token** (`accessToken`): a token of that Page with `instagram_basic`, `instagram_manage_messages` and `pages_manage_metadata`.',
  '3. **App secret** (`appSecret`): in the Meta App Dashboard, *App settings → Basic*; Meta signs every delivery with it (`X-Hub-Signature-256`).',
  "4. **Verify token** (`verifyToken`): a random string you choose; type the same string in the app's webhook settings.",
  "5. Save the integration, then run **Test connection**: it becomes active, and only an active integration answers the provider's verification request and receives deliveries.",
  "6. In the Meta app's webhook settings for **Instagram** set the callback URL to `<hub>/api/webhooks/instagram-direct` (`<hub>` is the start of this integration's `webhookUrl`) with the verify token above and subscribe to the `messages` field. Meta sends these webhooks only for a published app.",
  "7. Tick **Human agent replies** only when the app is approved for Meta's Human Agent permission.",
].join('\n');
