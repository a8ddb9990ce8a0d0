// Shown to an admin connecting this provider (the seeded template's setupInstructions, Markdown).
// Field names are this handler's config schema; console paths only where the provider documents them.
export const GOHIGHLEVEL_SETUP = [
  "A GoHighLevel sub-account (location): contacts synced, calendars and contact push for the CRM's booking screens, and GoHighLevel's webhooks.",
  '',
  "1. **Location ID** (`locationId`): the id of the GoHighLevel sub-account (location), e.g. the segment after `/location/` in the sub-account's address; webhooks are routed by it.",
  '2. **Private Integration token** (`privateIntegrationToken`): in the sub-account, *Settings → Private Integrations → Create new integration*, with the scopes `contacts.readonly`, `contacts.write`, `calendars.readonly`, `calendars/events.readonly`, `calendars/events.write`, `opportunities.readonly` and `locations.readonly`. GoHighLevel shows the token once. A Marketplace app installed on the location (*Connect with GoHighLevel*) fills it instead.',
  '3. Optional: **Calendar ID** (`calendarId`), the default calendar of booking screens.',
  "4. Save the integration, then run **Test connection**: it becomes active, and only an active integration answers the provider's verification request and receives deliveries.",
  "5. Webhooks: point the GoHighLevel app that sends this location's events at `<hub>/api/webhooks/gohighlevel` (`<hub>` is the start of this integration's `webhookUrl`). Deliveries are verified with GoHighLevel's published keys (`X-GHL-Signature`, legacy `X-WH-Signature`): leave both public-key fields empty unless GoHighLevel rotates its keys.",
].join('\n');
