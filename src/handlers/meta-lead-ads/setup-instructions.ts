// Shown to an admin connecting this provider (the seeded template's setupInstructions, Markdown).
// Field names are this handler's config schema; console paths only where the provider documents them.
export const META_LEAD_ADS_SETUP = [
  "Leads from the lead forms of one Facebook Page, pushed by Meta's `leadgen` webhook and fetched from the Graph API.",
  '',
  '1. **Facebook Page ID** (`pageId`): the numeric id of the Page that owns the lead forms.',
  '2. **App secret** (`appSecret`): in the Meta App Dashboard, *App settings → Basic*. Meta signs every delivery with it (`X-Hub-Signature-256`). Left empty when the integration is connected with *Connect with Meta*.',
  '3. **Page access token** (`pageAccessToken`): a long-lived Page token with `leads_retrieval`, `pages_show_list`, `pages_read_engagement` and `pages_manage_metadata` (or use *Connect with Meta* instead of pasting one).',
  "4. **Verify token** (`verifyToken`): a random string you choose; type the same string in the Meta app's webhook settings.",
  "5. Save the integration, then run **Test connection**: it becomes active, and only an active integration answers the provider's verification request and receives deliveries.",
  "6. In the Meta app's **Webhooks** settings choose the **Page** object, set the callback URL to `<hub>/api/webhooks/meta-lead-ads` (`<hub>` is the start of this integration's `webhookUrl`; one URL serves every Page of the app) with the verify token above, and subscribe to the `leadgen` field.",
  '7. Install the app on the Page (Meta sends Page webhooks only then): `POST /{page-id}/subscribed_apps?subscribed_fields=leadgen` with the Page token.',
].join('\n');
