// Shown to an admin connecting this provider (the seeded template's setupInstructions, Markdown).
// Field names are this handler's config schema; console paths only where the provider documents them.
export const GOOGLE_ANALYTICS_SETUP = [
  'Daily traffic of a Google Analytics 4 property (sessions, engaged sessions, key events by source, medium and campaign), read with the Analytics Data API by each sync (no webhook).',
  '',
  '1. **Property ID** (`propertyId`): the numeric id in Google Analytics, *Admin → Property settings* (not the `G-` measurement id).',
  "2. **Service account key** (`serviceAccountKey`): in Google Cloud, create a service account in a project where the Google Analytics Data API is enabled, create a JSON key for it and paste the whole file. Add the service account's e-mail address as a user with the **Viewer** role in the property's access management in Google Analytics. Or use *Connect with Google* (read-only Analytics scope) instead.",
  '3. Save the integration and run **Test connection**; syncs then run on schedule, or on demand with *Sync*.',
].join('\n');
