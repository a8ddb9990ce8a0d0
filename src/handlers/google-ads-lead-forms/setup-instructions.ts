// Shown to an admin connecting this provider (the seeded template's setupInstructions, Markdown).
// Field names are this handler's config schema; console paths only where the provider documents them.
export const GOOGLE_ADS_LEAD_FORMS_SETUP = [
  "Leads from Google Ads lead forms, delivered by the form's webhook integration to this integration's own URL.",
  '',
  '1. **Webhook key** (`googleKey`): a random string you choose. Google sends it in every lead (`google_key`); leads with another key are refused.',
  "2. Save the integration, then run **Test connection**: it becomes active, and only an active integration answers the provider's verification request and receives deliveries.",
  "3. In Google Ads, open the lead form's webhook integration (Google Ads Help: *Set up a webhook integration for a lead form extension*) and enter this integration's `webhookUrl` as the webhook URL and the same key.",
  '4. Optional, for daily ad spend with each sync: the **Google Ads customer ID** (`customerId`, `123-456-7890`), a **developer token**, a manager customer ID (`loginCustomerId`) when access goes through a manager account, and *Connect with Google* (scope `adwords`) or a pasted OAuth client and refresh token.',
].join('\n');
