// Shown to an admin connecting this provider (the seeded template's setupInstructions, Markdown).
// Field names are this handler's config schema; console paths only where the provider documents them.
export const FACEBOOK_ADS_SETUP = [
  'Daily ad spend of a Meta ad account, pulled by each sync (no webhook).',
  '',
  "1. **Ad account ID** (`adAccountId`): the ad account's id, with or without the `act_` prefix.",
  '2. **Access token** (`accessToken`): a system-user or user token with `ads_read` on that ad account (a system user is created in Business Settings → Users → System users), or use *Connect with Meta*.',
  '3. Save the integration and run **Test connection**; syncs then run on schedule, or on demand with *Sync*.',
].join('\n');
