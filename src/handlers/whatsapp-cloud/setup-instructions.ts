// Shown to an admin connecting this provider (the seeded template's setupInstructions, Markdown).
// Field names are this handler's config schema; console paths only where the provider documents them.
export const WHATSAPP_CLOUD_SETUP = [
  "Send and receive WhatsApp messages through Meta's WhatsApp Cloud API.",
  '',
  '1. **Phone number ID** (`phoneNumberId`) and **WhatsApp Business Account ID** (`wabaId`): in the Meta App Dashboard, *WhatsApp → API Setup* (the ids, not the phone number itself).',
  '2. **Access token** (`accessToken`): a permanent system-user token (Business Settings → Users → System users) with `whatsapp_business_messaging` and `whatsapp_business_management`, or use *Connect with Meta*.',
  '3. **App secret** (`appSecret`): *App settings → Basic* of the same app; Meta signs every delivery with it (`X-Hub-Signature-256`). Left empty when connected with *Connect with Meta*.',
  "4. **Verify token** (`verifyToken`): a random string you choose; type the same string in the app's webhook settings.",
  "5. Save the integration, then run **Test connection**: it becomes active, and only an active integration answers the provider's verification request and receives deliveries.",
  "6. In *WhatsApp → Configuration* set the callback URL to `<hub>/api/webhooks/whatsapp-cloud` (`<hub>` is the start of this integration's `webhookUrl`) with the verify token above, and subscribe to the `messages` field (`message_template_status_update`, `message_template_components_update` and `user_preferences` keep templates and opt-outs in step).",
  "7. Without *Connect with Meta*, subscribe the app to the WhatsApp Business Account's webhooks once: `POST /{waba-id}/subscribed_apps` with the access token (*Connect with Meta* does it itself).",
  '8. Optional: `messagesPerSecond` (default 80) and the opt-out / opt-in keywords.',
].join('\n');
